"""Maps draw without a CDN: folium's script and style links point at the vendored files."""

from __future__ import annotations

import folium

from estatesplan import map_assets


def test_vendored_leaflet_and_jquery_are_shipped_with_licences() -> None:
    js, css = map_assets.leaflet_sources()
    assert f"Leaflet {map_assets.LEAFLET_VERSION}" in js[:300] or "1.9.4" in js[:300]
    assert ".leaflet-container" in css
    assert (map_assets.LEAFLET_DIR / "LICENSE").is_file()
    jq = (map_assets.JQUERY_DIR / "jquery.min.js").read_text(encoding="utf-8")
    assert jq.startswith("/*! jQuery v3.7.1")
    assert (map_assets.JQUERY_DIR / "LICENSE.txt").is_file()


def test_leaflet_images_are_shipped_beside_the_css() -> None:
    # the collapsed layer control draws layers.png: without it the control is an empty box
    _, css = map_assets.leaflet_sources()
    for name in ("layers.png", "layers-2x.png", "marker-icon.png"):
        assert f"url(images/{name})" in css
        data = (map_assets.LEAFLET_DIR / "images" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n"), name  # served beside leaflet.css in the app


def test_local_leaflet_replaces_every_cdn_link_of_the_map() -> None:
    m = folium.Map(location=[51.5, -0.13], zoom_start=12, tiles=None)
    folium.CircleMarker([51.5, -0.13], radius=4, popup=folium.Popup("<b>a</b>")).add_to(m)
    assert any("cdn" in url for _, url in m.default_js)
    out = map_assets.local_leaflet(m, base_url="/app/static/")
    assert out is m
    urls = [url for _, url in [*m.default_js, *m.default_css]]
    assert urls == ["/app/static/leaflet/leaflet.js", "/app/static/jquery/jquery.min.js",
                    "/app/static/leaflet/leaflet.css"]  # fmt: skip
    html = m.get_root().render()
    assert "cdn.jsdelivr.net" not in html and "code.jquery.com" not in html
    # another folium.Map keeps the class defaults (only the instance changed)
    assert any("cdn" in url for _, url in folium.Map(tiles=None).default_js)

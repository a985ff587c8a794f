"""Opening the app on a fixed workspace in Streamlit's AppTest (shared by the page tests)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from estatesplan.app import views


def app_script(ws: object) -> None:
    """AppTest script: the app with a loader that always returns ``ws``.

    AppTest runs this function's body as a script, without this module's imports or
    ``from __future__ import annotations``: its annotations use builtins only.
    """
    from estatesplan.app import main

    main(loader=lambda _source: ws)


def open_page(ws: object, page: str, *, timeout: float = 120, via_radio: bool = False) -> AppTest:
    """Run the app on ``ws`` and show ``page``, checking it drew without an exception or error.

    ``via_radio`` first draws the default page and then switches with the page radio, as a
    user does; otherwise the page is chosen before the first run (skipping the estate map).
    """
    at = AppTest.from_function(app_script, kwargs={"ws": ws}, default_timeout=timeout)
    if via_radio:
        at.run()
        at.radio(key=views.PAGE).set_value(page).run()
    else:
        at.session_state[views.PAGE] = page
        at.run()
    assert at.radio(key=views.PAGE).value == page
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at

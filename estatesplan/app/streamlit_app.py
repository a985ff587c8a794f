"""Streamlit script run by ``estatesplan app`` (the same page as the repository's app.py)."""

from __future__ import annotations

import streamlit as st

from estatesplan.app import main

st.set_page_config(page_title="estatesplan", layout="wide")
main()

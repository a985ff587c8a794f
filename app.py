"""Streamlit entry point of estatesplan: ``streamlit run app.py``.

Opens the study named by ``$ESTATESPLAN_STUDY`` (a study config, an output folder
or "demo"; default "demo").
"""

from __future__ import annotations

import streamlit as st

from estatesplan.app import main

st.set_page_config(page_title="estatesplan", layout="wide")
main()

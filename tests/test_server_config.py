"""The server settings a classroom deployment relies on, as Streamlit itself reads them."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {
    "client.showErrorDetails": "none",
    "client.toolbarMode": "viewer",
    "client.showSidebarNavigation": False,  # the sidebar draws attnviz.ui.nav instead
    "browser.gatherUsageStats": False,
    "server.fileWatcherType": "none",
    "server.enableXsrfProtection": True,
}


def test_config_file_sets_the_classroom_options():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{key}": value for section, values in config.items() for key, value in values.items()}
    for key, value in EXPECTED.items():
        assert flat[key] == value, key
    assert flat["server.maxUploadSize"] <= 5


def test_streamlit_reads_them_from_the_project_folder():
    code = (
        "import json; from streamlit import config; config.get_config_options(force_reparse=True);"
        f"print(json.dumps({{k: config.get_option(k) for k in {list(EXPECTED) + ['server.maxUploadSize']!r}}}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    import json

    seen = json.loads(out.strip().splitlines()[-1])
    for key, value in EXPECTED.items():
        assert seen[key] == value, key
    assert seen["server.maxUploadSize"] <= 5

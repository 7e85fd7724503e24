"""The quick-start notebook runs top to bottom against a build of the committed archive."""

import nbformat
import pytest
from builtdata import ROOT, build_committed_archive

NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from nbclient import NotebookClient

    data = build_committed_archive(tmp_path_factory)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    mp = pytest.MonkeyPatch()
    mp.setenv("FZZF_DATA", str(data))
    try:
        NotebookClient(notebook, timeout=180, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        mp.undo()
    return notebook


def outputs(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") in ("execute_result", "display_data")]


def test_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook.cells if c.cell_type == "code")


def test_runs_without_errors(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(o.get("output_type") != "error" for c in code for o in c.outputs)
    assert all(c.execution_count for c in code)


def test_shows_typed_tables_coverage_a_plot_and_sentences(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    dtypes = outputs(code[0])[0]["data"]["text/plain"]
    assert "category" in dtypes and "Int64" in dtypes and "date32[day][pyarrow]" in dtypes
    coverage = outputs(code[1])[0]["data"]["text/plain"]
    assert "province" in coverage and "440000" in coverage and "district" in coverage
    assert any("image/png" in o["data"] for o in outputs(code[2]))
    traced = outputs(code[3])[0]["data"]["text/plain"]
    assert "sentence" in traced and "。" in traced

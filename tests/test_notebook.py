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


def streams(notebook, name):
    return "".join(o["text"] for c in notebook.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def test_shows_typed_tables_coverage_plots_and_sentences(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    dtypes = outputs(code[0])[0]["data"]["text/plain"]
    assert "category" in dtypes and "Int64" in dtypes and "date32[day][pyarrow]" in dtypes
    coverage = outputs(code[1])[0]["data"]["text/plain"]
    assert "广东省" in coverage and "district" in coverage and "catalogued" in coverage and "parsed" in coverage
    assert any("image/png" in o["data"] for o in outputs(code[2]))  # the coverage plot
    assert any("image/png" in o["data"] for o in outputs(code[3]))  # one indicator, under its name
    traced = outputs(code[4])[0]["data"]["text/plain"]
    assert "sentence" in traced and "。" in traced and "indicator" in traced


def test_chinese_renders_and_the_notebook_says_with_which_font(executed):
    assert "Chinese text uses" in streams(executed, "stdout")
    errors = streams(executed, "stderr")
    assert "missing from font" not in errors and "Glyph" not in errors, errors


def test_the_missing_glyph_warning_is_what_the_test_looks_for():
    """Without a CJK font matplotlib warns in these words; the test above would see them."""
    import io
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.set_title("行政复议")
        figure.savefig(io.BytesIO(), format="png")
    plt.close(figure)
    assert any("missing from font" in str(w.message) and "Glyph" in str(w.message) for w in caught)

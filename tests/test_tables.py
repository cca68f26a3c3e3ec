"""course_utils.architectures.table: the slides' short numbers, the VGG listing and the table's
renderings."""

from course_utils.architectures.network import layer_table
from course_utils.architectures.networks import assignment_cnn, vgg
from course_utils.architectures.table import BYTES_FP32, Row, human, human_bytes


def test_listing_reproduces_the_vgg_slide_lines():
    lines = layer_table(vgg("D")).listing().splitlines()
    assert lines[0] == "INPUT: [224x224x3]  memory: 224*224*3=150K  params: 0"
    assert lines[1] == "CONV3-64: [224x224x64]  memory: 224*224*64=3.2M  params: (3*3*3)*64 = 1,728"
    assert lines[19] == "FC: [1x1x4096]  memory: 4096  params: 7*7*512*4096 = 102,760,448"
    assert lines[-1] == "TOTAL params: 138M weights (138,344,128) + 13,416 biases = 138,357,544"


def test_human_rounds_like_the_slides():
    values = [150_528, 3_211_264, 802_816, 25_088, 4096, 0]
    assert [human(v) for v in values] == ["150K", "3.2M", "800K", "25K", "4.1K", "0"]
    assert human(138_357_544, 3) == "138M" and human(2.5e9) == "2.5G"
    assert [human_bytes(n) for n in (512, 2048, 12_042_240, 3 * 2**30)] == [
        "512 B", "2.0 KiB", "11.5 MiB", "3.0 GiB"]


def test_row_values_and_bytes():
    row = Row("CONV1", "", (55, 55, 96))
    assert row.values == 290_400 and row.bytes == BYTES_FP32 * 290_400
    assert row.shape_text == "55x55x96" and Row("FC", "", (4096,)).values == 4096


def test_text_and_html_rendering_show_totals_and_the_floor():
    table = layer_table(assignment_cnn())
    text = str(table)
    assert text == str(layer_table(assignment_cnn()))
    assert "1,191,338" in text and "(!)" in text and "floored to 13" in text
    assert "activations 26,746 values = 104.5 KiB per image forward" in text
    assert "<table>" in table._repr_html_() and "1,191,338" in table._repr_html_()
    assert table.to_markdown().count("\n") == len(table.top) + 2


def test_totals_count_the_top_rows_once_and_skip_views():
    table = layer_table(assignment_cnn())
    assert table.values == sum(r.values for r in table.top if r.name != "FLATTEN")
    assert table.weights + table.biases == table.params == 1_191_338
    assert table["FLATTEN"].stored is False

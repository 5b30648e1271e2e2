"""The rule for numbers in prose (tests/prose_numbers.py) on small notebooks."""

import nbformat
from prose_numbers import unbacked_numbers

new = nbformat.v4


def notebook(markdown: str, *code: str, outputs: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cells = [new.new_markdown_cell(markdown, id="prose")] + [new.new_code_cell(source) for source in code]
    if outputs:
        cells[-1].outputs = [new.new_output("stream", name="stdout", text=text) for text in outputs]
    return new.new_notebook(cells=cells)


def test_a_measured_number_must_be_printed_or_asserted():
    assert unbacked_numbers(notebook("Test accuracy 0.9874.", "print(accuracy)")) == ["prose: 0.9874"]
    assert unbacked_numbers(notebook("Test accuracy 0.9874.", "print(accuracy)", outputs=("accuracy 0.98743\n",))) == []
    assert unbacked_numbers(notebook("At least 0.985.", "assert accuracy >= 0.985")) == []


def test_grouped_integers_and_percentages():
    assert unbacked_numbers(notebook("It sees 50,176 values, 98.5% of them.", "print(28 * 28 * 64)")) == ["prose: 50,176", "prose: 98.5%"]
    assert unbacked_numbers(notebook("It sees 50,176 values, 98.5% of them.", "x = 50_176", "assert a > 0.985")) == []


def test_code_math_years_and_small_integers_are_left_alone():
    assert unbacked_numbers(notebook("In 1998, `lr = 0.0123`, $10^{-4}$ and 28x28 digits; BT.709 weights.", "pass")) == []

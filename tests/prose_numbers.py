"""The course's rule for numbers in prose: each one is computed or asserted by the notebook.

A number in a markdown cell (a decimal such as 0.985, a grouped integer such as
50,176, an integer of four or more digits, or a percentage) passes when the
executed notebook holds the same value, at the prose's precision, in a code
cell's source (a constant, an assert) or in a code cell's text output (a
printed measurement). Numbers in inline code and in LaTeX are left to the
code they quote; four-digit integers from 1900 to 2099 are years.
"""

from __future__ import annotations

import re

NUMBER = re.compile(r"(?<![\w.^_{])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d{4,})(%?)(?![\w.]*\d)")
CODE_NUMBER = re.compile(r"(?<![\w.])\d[\d_,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def prose_text(markdown: str) -> str:
    """Markdown without inline code, code blocks, LaTeX and link targets."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def code_values(nb) -> list[float]:
    """Every number in the code cells' sources and text outputs."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts.append(cell.source)
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") if out.get("output_type") == "stream" else out.get("data", {}).get("text/plain", ""))
    values = []
    for text in texts:
        for token in CODE_NUMBER.findall(text if isinstance(text, str) else "".join(text)):
            try:
                values.append(float(token.replace("_", "").replace(",", "")))
            except ValueError:
                pass
    return values


def unbacked_numbers(nb) -> list[str]:
    """Numbers in the prose of executed notebook ``nb`` that no code cell computes, prints or asserts."""
    values = code_values(nb)
    missing = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token, percent in NUMBER.findall(prose_text(cell.source)):
            if not percent and re.fullmatch(r"(19|20)\d\d", token):
                continue
            number = float(token.replace(",", ""))
            decimals = len(token.partition(".")[2])
            scales = (1, 100) if percent else (1,)
            if not any(round(v * scale, decimals) == number for v in values for scale in scales):
                missing.append(f"{cell.get('id', '?')}: {token}{percent}")
    return missing

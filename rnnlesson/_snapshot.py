"""A widget tree drawn into one PNG, for pages without a kernel (``snapshot()`` of the
live widgets in :mod:`rnnlesson.widgets`, which the website and nbval outputs show).

Only the parts a reader needs are drawn: titles and status lines, the pictures (side by
side as their ``HBox`` puts them), and text shown beside a picture, such as a generated
sample. Buttons, sliders and other controls are left out.
"""

from __future__ import annotations

import html
import io
import re

import ipywidgets as w

__all__ = ["snapshot_png"]


def _wrap(text: str, font, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels: at its own line
    breaks, then at spaces (a word longer than a line is cut)."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}" if line else word
            if line and font.getlength(trial) > width:
                lines.append(line)
                line = word
            else:
                line = trial
            while font.getlength(line) > width and len(line) > 1:
                cut = max(1, int(len(line) * width / font.getlength(line)))
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _text_picture(markup: str, fonts: dict, width: int = 560):
    """The text of an ``HTML`` widget that sits beside a picture, drawn as a picture of
    its own: each ``div`` on its own line, a ``pre`` block in a monospaced font."""
    from PIL import Image, ImageDraw

    blocks = []  # (text, font key)
    for part in re.split(r"(<pre[^>]*>.*?</pre>)", markup, flags=re.S):
        mono = part.startswith("<pre")
        text = re.sub(r"</(div|p)>|<br\s*/?>", "\n", part)
        text = html.unescape(re.sub(r"<[^>]+>", "", text)).strip("\n")
        if text:
            blocks.append((text, "mono" if mono else False))
    lines = [(line, fonts[key]) for text, key in blocks
             for line in _wrap(text, fonts[key], width - 16)]
    line_height = 16
    picture = Image.new("RGB", (width, line_height * len(lines) + 8), "white")
    draw = ImageDraw.Draw(picture)
    for k, (line, font) in enumerate(lines):
        draw.text((8, 4 + k * line_height), line, font=font, fill="black")
    return picture


def snapshot_png(box: w.Box) -> bytes:
    """Compose a widget tree into one PNG: the text of its ``HTML`` and ``Label`` widgets
    (in bold and plain type) and its ``Image`` widgets, in order from top to bottom, the
    images of one ``HBox`` side by side, with the text of an ``HTML`` widget among them
    (a generated sample, say) drawn beside them. Other controls are left out."""
    from matplotlib import font_manager  # matplotlib and PIL (which it needs): only here
    from PIL import Image, ImageDraw, ImageFont

    def font(family, bold, size):
        return ImageFont.truetype(font_manager.findfont(font_manager.FontProperties(
            family=family, weight="bold" if bold else "normal")), size)

    fonts = {False: font("DejaVu Sans", False, 14), True: font("DejaVu Sans", True, 14),
             "mono": font("DejaVu Sans Mono", False, 12)}
    items = []  # in order: ("text", str, bold) or ("row", [PIL images side by side])
    texts = set()  # ids of the pictures of text (see below)

    def walk(widget, row):
        if isinstance(widget, w.Image):
            if widget.value:
                picture = Image.open(io.BytesIO(widget.value)).convert("RGB")
                if row is None:
                    items.append(("row", [picture]))
                else:
                    row.append(picture)
        elif isinstance(widget, (w.HTML, w.Label)):
            if row is None and widget.value:  # a title or a status line
                text = html.unescape(re.sub(r"<[^>]+>", "", widget.value))
                items.append(("text", text, isinstance(widget, w.HTML)))
            elif isinstance(widget, w.HTML) and widget.value:  # text beside a picture
                picture = _text_picture(widget.value, fonts)
                texts.add(id(picture))
                row.append(picture)
        elif isinstance(widget, w.Box):
            if isinstance(widget, w.HBox) and row is None:
                row = []
                items.append(("row", row))
            for child in widget.children:
                walk(child, row)

    walk(box, None)
    # a picture of text goes under the row's other pictures when beside them it would make
    # the snapshot wider than a page's column shows unscaled (the live widget wraps too)
    wrapped = []
    for item in items:
        row = item[1] if item[0] == "row" else None
        if row and any(id(p) in texts for p in row) and sum(p.width for p in row) > 760:
            wrapped.append(("row", [p for p in row if id(p) not in texts]))
            wrapped += [("row", [p]) for p in row if id(p) in texts]
        else:
            wrapped.append(item)
    items = wrapped
    rows = [item[1] for item in items if item[0] == "row" and item[1]]
    width = max([sum(p.width for p in r) for r in rows] + [480])
    lines = []  # (text, font) or a row of pictures, from top to bottom
    for item in items:
        if item[0] == "row" and item[1]:
            lines.append(item[1])
        elif item[0] == "text":
            font = fonts[item[2]]
            lines += [(text, font) for text in _wrap(item[1], font, width - 16)]
    line_height = 20
    heights = [max(p.height for p in line) if isinstance(line, list) else line_height
               for line in lines]
    canvas = Image.new("RGB", (width, sum(heights) + 8), "white")
    draw, y = ImageDraw.Draw(canvas), 4
    for line, height in zip(lines, heights, strict=True):
        if isinstance(line, list):
            x = 0
            for picture in line:
                canvas.paste(picture, (x, y))
                x += picture.width
        else:
            draw.text((8, y + 2), line[0], font=line[1], fill="black")
        y += height
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()

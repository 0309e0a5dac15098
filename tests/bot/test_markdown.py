"""Course Markdown becomes valid Telegram HTML, in pages that fit a message."""

from __future__ import annotations

from bot.telegram_html import parse_html
from bot.views.markdown import paginate, plain_length, render


def test_inline_markup_links_and_escaping() -> None:
    html = render("**Loss** is *small* when x < 3 & y > 2; see [docs](https://e.org/a?b=1&c=2).")
    assert html == (
        "<b>Loss</b> is <i>small</i> when x &lt; 3 &amp; y &gt; 2; see "
        '<a href="https://e.org/a?b=1&amp;c=2">docs</a>.'
    )
    parse_html(html)


def test_code_is_escaped_and_not_formatted() -> None:
    html = render("Use `a**b < c` here.\n\n```python\nif x < 1 and y**2:\n    pass\n```")
    assert "<code>a**b &lt; c</code>" in html
    assert '<pre><code class="language-python">if x &lt; 1 and y**2:\n    pass</code></pre>' in html
    parse_html(html)


def test_headings_lists_and_quotes() -> None:
    html = render("# Title\n\n- one\n- two *it*\n\n1. first\n2. second\n\n> wise words")
    assert html.split("\n\n") == [
        "<b>Title</b>",
        "• one\n• two <i>it</i>",
        "1. first\n2. second",
        "<blockquote>wise words</blockquote>",
    ]


def test_markup_that_would_not_nest_falls_back_to_plain_text() -> None:
    html = render("**bold *and** italic*")
    parse_html(html)
    assert "<b>" not in html or html.count("<b>") == html.count("</b>")


def test_snake_case_is_not_italic() -> None:
    assert render("call my_long_name now") == "call my_long_name now"


def test_pages_fit_the_limit_and_keep_every_word() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(20)]
    huge = "One giant paragraph. " * 400
    markdown = "\n\n".join([*paragraphs, huge, "```\n" + "code line\n" * 600 + "```"])

    pages = paginate(markdown, 3500)

    assert len(pages) > 5
    for page in pages:
        parse_html(page)
        assert 0 < plain_length(page) <= 3500
    text = " ".join(pages)
    assert "Paragraph 19" in text and text.count("One giant paragraph.") == 400
    assert text.count("code line") == 600


def test_empty_text_is_one_empty_page() -> None:
    assert paginate("", 100) == [""]

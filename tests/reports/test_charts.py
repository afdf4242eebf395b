"""Chart labels are drawn as the clinic typed them; nothing to draw is no chart."""

from apps.reports.charts import mean_pain_chart, rate_chart
from apps.reports.selectors import Rate


def test_a_dollar_sign_in_a_lot_name_is_drawn_as_text():
    # "$...$" once switched matplotlib to mathtext, which refused unbalanced input and
    # failed the whole reports page for everyone.
    rates = [
        Rate(label="CV-$2291", events=1, n=10, low=0.0, high=0.4),
        Rate(label="Lot $\\frac{a}$ 7", events=0, n=5, low=0.0, high=0.5),
    ]

    svg = rate_chart(rates, axis_label="events per 100 doses")

    assert "CV-$2291" in svg
    assert "Lot $\\frac{a}$ 7" in svg


def test_nothing_to_draw_is_no_chart():
    # Empty axes read as a broken page or as a rate of zero; the page says it in words.
    assert mean_pain_chart([]) is None
    assert rate_chart([], axis_label="Responders (%)") is None

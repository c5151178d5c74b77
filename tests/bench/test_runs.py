"""bench/stockrun: repeated runs (``--runs``) are judged on the median run, and every run is printed."""
from bench.stockrun import _median_run, _runs_text


def _runs(key, *values):
    return [{key: v, "n": i} for i, v in enumerate(values)]


def test_the_median_run_of_an_odd_count():
    assert _median_run(_runs("seconds", 2.22, 1.71, 1.83), "seconds")["n"] == 2
    assert _median_run(_runs("rate", 2900, 2500, 2700), "rate", high_is_good=True)["n"] == 2


def test_of_an_even_count_the_worse_middle_run():
    assert _median_run(_runs("seconds", 1.7, 1.9, 1.8, 2.1), "seconds")["seconds"] == 1.9
    assert _median_run(_runs("rate", 2000, 2600, 2400, 2900), "rate", high_is_good=True)["rate"] == 2400


def test_every_run_is_printed_in_the_order_it_ran():
    assert _runs_text(_runs("seconds", 2.219, 1.71, 1.834), "seconds", ".2f") == "; 3 runs: 2.22, 1.71, 1.83"
    assert _runs_text(_runs("seconds", 1.7), "seconds", ".2f") == ""

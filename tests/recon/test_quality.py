"""Attribution quality on scenarios with planted differences of every cause (bench/recon_plant.py)."""
import pytest

from bench.recon_plant import run_scenario

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", [1, 7])
def test_every_planted_difference_is_attributed_to_its_cause_and_documents(seed):
    sc, internal, external = run_scenario(seed, per_cause=3, n_receipts=40)
    assert set(sc.planted) >= {"manual_journal", "opening_mismatch", "uninvoiced_receipt", "uninvoiced_delivery", "unsettled_count",
                               "not_transferred", "cutoff", "in_transit", "unit_error", "price_difference_unposted",
                               "duplicate_entry", "external_only", "unposted_document"}
    assert internal["detail"] == [] and internal["right"] == internal["planted"] == 4
    assert external["detail"] == [], external["detail"][:5]
    assert external["right"] == external["planted"] >= 30

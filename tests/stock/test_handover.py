"""What a replay hands over to the write-behind thread as it runs (stock/service.Costing._hand_over_results),
and what is left for the end of the run (``_save_results``, ``changed_lines``) — on plain data, with
``update_results`` replaced by a list. The property streams (test_properties.py, every write behind) check
the same on real books, but no stream changes a line's result again after it was handed over."""
from types import SimpleNamespace

import pytest

from stockbook.stock import service
from stockbook.stock.service import Costing, StoredLine


@pytest.fixture
def written(monkeypatch):
    out = []
    monkeypatch.setattr(service, "update_results", lambda rows: out.append(list(rows)))
    return out


def test_a_replay_hands_over_changed_results_and_again_when_they_change_again(written):
    c = Costing(SimpleNamespace(id=99))
    stored = {(1, 1): StoredLine({"cost": 10}, None), (2, 1): StoredLine({"cost": 5}, None),
              (4, 2): StoredLine({"cost": 3}, None)}
    handed: list = []
    # (1, 1) changed, (2, 1) as stored, (99, 1) the new document's line, (3, 1) a line the replay did not read
    c.results = {(4, 2): {"cost": 4}, (1, 1): {"cost": 12}, (2, 1): {"cost": 5}, (99, 1): {"value": 1}, (3, 1): {"cost": 7}}
    c._fresh = list(c.results)
    c._hand_over_results(stored, handed)
    assert written == [[(1, 1, {"cost": 12}), (4, 2, {"cost": 4})]]  # in (document, line) order
    assert handed == [(4, 2), (1, 1)]
    # later in the run (a close costing pending issues): (1, 1) changes again, (2, 1) changes for the first time
    c.results[(1, 1)] = {"cost": 15}
    c.results[(2, 1)] = {"cost": 6}
    c._fresh += [(1, 1), (2, 1), (4, 2)]  # (4, 2) given again, the same result: nothing to write
    c._hand_over_results(stored, handed)
    assert written[-1] == [(1, 1, {"cost": 15}), (2, 1, {"cost": 6})]
    assert handed == [(4, 2), (1, 1), (2, 1)]
    # back to what is stored: what was handed over is stale, so it is written again
    c.results[(1, 1)] = {"cost": 10}
    c._fresh.append((1, 1))
    c._hand_over_results(stored, handed)
    assert written[-1] == [(1, 1, {"cost": 10})]
    assert handed == [(4, 2), (1, 1), (2, 1)]  # once each
    assert sorted(c._fresh) == [(3, 1), (99, 1)]  # left for the end of the run
    c._hand_over_results(stored, handed)
    assert len(written) == 3  # nothing new


def test_the_end_of_a_run_writes_the_unread_lines_of_changed_documents(written):
    c = Costing(SimpleNamespace(id=99))
    c.results = {(3, 1): {"cost": 7}, (5, 1): {"cost": 1}, (99, 1): {"value": 1}, (1, 1): {"cost": 12}}
    c._fresh = [(3, 1), (5, 1), (99, 1), (3, 1)]  # (1, 1) was handed over by a replay
    c._changed = {(1, 1): (7, StoredLine({"cost": 10}, None))}
    c.changed_docs = {1, 3, 99}
    c._save_results()
    assert written == [[(3, 1, {"cost": 7})]]  # not (5, 1): its document did not change; not the new document's
    assert c._fresh == []
    known, unknown = c.changed_lines({1, 3})
    assert unknown == {3}  # its vouchers must be read
    assert known == {1: [((1, 1), 7, c._changed[(1, 1)][1])]}

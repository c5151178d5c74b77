"""Report names → builders, shared by the CLI, the REST API and the web pages."""
from stockbook.core.errors import DocError


def build_report(name: str, p: dict):
    from . import trial_balance

    if name == "trial-balance":
        if not p.get("start") or not p.get("end"):
            raise DocError("invalid_value", "发生额及余额表需要 --from 与 --to 日期")
        if p["start"] > p["end"]:
            raise DocError("invalid_value", "开始日期不能晚于结束日期")
        return trial_balance.trial_balance(p["start"], p["end"])
    raise DocError("invalid_value", f"报表 {name} 尚未提供")

"""Month-numbered records of the business apps (采购订单 CGDD-202611-0001, 请购单 QGD-…, 销售订单 XSDD-…, 报价单 XSBJ-…).

The next number of the month follows the highest one stored; a unique column on the number guards concurrent
writers (the caller retries on IntegrityError)."""


def next_monthly_number(model, field: str, prefix: str, day) -> str:
    head = f"{prefix}-{day:%Y%m}-"
    last = model.objects.filter(**{f"{field}__startswith": head}).order_by(f"-{field}").values_list(field, flat=True).first()
    n = int(last[len(head):]) + 1 if last and last[len(head):].isdigit() else 1
    return f"{head}{n:04d}"

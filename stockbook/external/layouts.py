"""Which layout a file has, where its header is, and which column holds which field.

A layout is a built-in column mapping (normalised header → field) with a signature: the headers that
identify it. Detection: the header row is the row among the first 30 with the most known header names
(title rows such as ``凭证列表`` / company name / ``编制单位：…`` above it are skipped); a second header
row right below (云星空's key row + caption row) is skipped too. The first layout whose signature is all
present wins; otherwise the generic aliases apply. A user's mapping (``{header: field}``) overrides both.
"""
from dataclasses import dataclass, field

from .tables import FileRejected, is_blank
from .values import header, text

GL_FIELDS = ["date", "voucher_no", "word", "account", "debit", "credit", "summary", "reference"]
GL_REQUIRED = ["date", "voucher_no", "account", "debit", "credit"]
WMS_FIELDS = ["warehouse", "item", "qty", "uom"]
WMS_REQUIRED = ["item", "qty"]
FIELD_LABELS = {"date": "日期", "voucher_no": "凭证号", "word": "凭证字", "account": "科目编码", "debit": "借方金额",
                "credit": "贷方金额", "summary": "摘要", "reference": "参考信息",
                "warehouse": "仓库", "item": "物料编码", "qty": "数量", "uom": "单位"}

# generic aliases, in priority order (normalised by values.header)
ALIASES = {
    "date": ["date", "日期", "凭证日期", "制单日期", "记账日期", "fdate"],
    "voucher_no": ["voucher_no", "voucher", "凭证字号", "凭证号", "凭证编号", "凭证号数", "fnumber", "fvouchergroupno", "voucherno"],
    "word": ["word", "凭证字", "凭证类别字", "fgroupid", "fvouchergroupid#name", "凭证字#名称"],
    "account": ["account", "科目代码", "科目编码", "科目", "faccountnum", "faccountid", "科目编码#编码", "account_code"],
    "debit": ["debit", "借方", "借方金额", "fdebit", "借方发生额"],
    "credit": ["credit", "贷方", "贷方金额", "fcredit", "贷方发生额"],
    "summary": ["summary", "摘要", "凭证摘要", "fexplanation", "memo"],
    "reference": ["reference", "参考信息", "参考", "freference", "业务编号", "fbusno", "ref"],
    "warehouse": ["warehouse", "仓库", "仓库编码", "仓库代码", "仓库名称", "warehouse_code", "warehouse_name", "warehouseid"],
    "item": ["item", "物料编码", "物料代码", "存货编码", "商家编码", "商品编码", "货品编码", "sku", "spec_no", "item_code"],
    "qty": ["qty", "数量", "库存数量", "结存数量", "现有库存", "库存", "实际库存", "stock_num", "quantity"],
    "uom": ["uom", "单位", "计量单位", "基本单位", "unit"],
}
# headers seen in the real layouts that map to nothing but help find the header row
KNOWN_OTHER = {"科目名称", "币别", "汇率", "原币金额", "制单", "审核", "过账", "会计期间", "审核人", "制单人", "附件数", "分录序号",
               "faccountname", "fperiod", "fyear", "fentryid", "fexplanation", "fcurrencynum", "货品名称", "条码", "货品编号",
               "商品描述", "商品数量", "可发库存", "可用库存", "规格名称", "辅助核算", "币种", "物料名称", "名称", "fbillhead(gl_voucher)",
               "单据头(序号)", "fentity", "分录(序号)", "fcurrencyid", "fdetailid#fflex4", "锁定库存", "质检库存"}


@dataclass
class Layout:
    key: str
    kind: str
    label: str
    signatures: list  # list of sets of normalised headers; any one fully present identifies the layout
    mapping: dict  # normalised header → field, before the aliases
    forbid: set = field(default_factory=set)


LAYOUTS = [
    # dBase field names, space-padded and lower-cased by values.header (FDATE = 凭证日期, FNUM = 凭证号, FENTRYID =
    # 分录号 from 0); FTRANSDATE (业务日期) is often empty and is not the voucher's date
    Layout("kingdee_kis_dbf", "gl", "金蝶 KIS 凭证引入/引出 DBF", [{"fdate", "fgroup", "fnum", "facctid"}],
           {"fdate": "date", "fgroup": "word", "fnum": "voucher_no", "facctid": "account", "fdebit": "debit",
            "fcredit": "credit", "fexp": "summary", "freference": "reference"}),
    # the 73 columns of U8's GL_accvouch: 制单日期 is the voucher's date (日期 further right is an external voucher's)
    Layout("yonyou_u8_excel", "gl", "用友 U8 凭证引入 Excel（73 列）", [{"会计期间", "凭证类别字", "凭证编号", "科目编码"}],
           {"制单日期": "date", "凭证类别字": "word", "凭证编号": "voucher_no", "科目编码": "account", "借方金额": "debit",
            "贷方金额": "credit", "摘要": "summary", "外部凭证业务号": "reference"}),
    Layout("kingdee_cloud", "gl", "金蝶云星空 凭证引入模板", [{"fdate", "fvouchergroupno", "faccountid"}],
           {"fdate": "date", "fvouchergroupno": "voucher_no", "fvouchergroupid#name": "word", "faccountid": "account",
            "fdebit": "debit", "fcredit": "credit", "fexplanation": "summary", "fbusno": "reference"}),
    Layout("kingdee_k3", "gl", "金蝶 K/3 标准凭证", [{"fdate", "fnumber", "faccountnum"}, {"凭证日期", "凭证字", "凭证号", "科目代码"}],
           {"fdate": "date", "fgroupid": "word", "fnumber": "voucher_no", "faccountnum": "account", "fdebit": "debit",
            "fcredit": "credit", "fexplanation": "summary", "freference": "reference",
            "凭证日期": "date", "凭证字": "word", "凭证号": "voucher_no", "科目代码": "account", "借方": "debit", "贷方": "credit",
            "凭证摘要": "summary", "参考信息": "reference"}),
    Layout("kingdee_jdy_list", "gl", "金蝶精斗云 凭证列表", [{"凭证字号", "科目", "借方金额", "贷方金额"}],
           {"日期": "date", "凭证字号": "voucher_no", "科目": "account", "借方金额": "debit", "贷方金额": "credit", "摘要": "summary"},
           forbid={"科目代码", "科目编码"}),
    Layout("kingdee_jdy_template", "gl", "金蝶精斗云 凭证导入模板", [{"日期", "凭证字", "凭证号", "科目代码", "借方金额"}],
           {"日期": "date", "凭证字": "word", "凭证号": "voucher_no", "科目代码": "account", "借方金额": "debit",
            "贷方金额": "credit", "摘要": "summary"}),
    Layout("kingdee_kis_journal", "gl", "金蝶 KIS 会计分录序时簿", [{"凭证字号", "科目代码"}],
           {"日期": "date", "凭证字号": "voucher_no", "科目代码": "account", "借方": "debit", "贷方": "credit",
            "借方金额": "debit", "贷方金额": "credit", "摘要": "summary", "参考信息": "reference"}),
    Layout("yonyou_journal", "gl", "用友 序时账", [{"凭证字号", "科目编码"}, {"凭证号数", "科目编码"}],
           {"日期": "date", "凭证字号": "voucher_no", "凭证号数": "voucher_no", "科目编码": "account", "借方金额": "debit",
            "贷方金额": "credit", "摘要": "summary"}),
    Layout("generic_gl", "gl", "通用格式（date,voucher_no,account,debit,credit,summary,reference）", [], {}),
    Layout("wdt", "wms", "旺店通 单品库存", [{"商家编码", "库存"}],
           {"商家编码": "item", "库存": "qty", "单位": "uom", "仓库": "warehouse", "仓库名称": "warehouse"}),
    Layout("greaterwms", "wms", "GreaterWMS 库存列表", [{"商品编码", "现有库存"}],
           {"商品编码": "item", "现有库存": "qty"}),
    Layout("generic_wms", "wms", "通用格式（warehouse,item,qty,uom）", [], {}),
]
U8_TXT = Layout("yonyou_u8_txt", "gl", "用友 U8 凭证引入文本（填制凭证,V800）", [], {})
U8_COLUMNS = {"date": 0, "word": 1, "voucher_no": 2, "summary": 4, "account": 5, "debit": 6, "credit": 7}
BY_KEY = {lay.key: lay for lay in LAYOUTS + [U8_TXT]}


def fields_of(kind):
    return GL_FIELDS if kind == "gl" else WMS_FIELDS


def required_of(kind):
    return GL_REQUIRED if kind == "gl" else WMS_REQUIRED


def layouts_of(kind):
    return [lay for lay in LAYOUTS if lay.kind == kind]


def _known(kind) -> set:
    out = set(KNOWN_OTHER)
    for f in fields_of(kind):
        out.update(ALIASES[f])
    for lay in layouts_of(kind):
        out.update(lay.mapping)
    return out


@dataclass
class Prepared:
    """A sheet with its header found and its columns assigned."""

    sheet: str
    headers: list  # raw header texts
    header_row: int  # 0-based index in the sheet
    data_start: int  # 0-based index of the first data row
    layout: Layout
    columns: dict  # field → column index
    rows: list  # the sheet's rows
    mapping_name: str = ""

    def records(self):
        """(file row number from 1, {field: raw value}) for each non-blank data row."""
        cols = list(self.columns.items())
        for i in range(self.data_start, len(self.rows)):
            r = self.rows[i]
            if not r or is_blank(r):
                continue
            n = len(r)
            yield i + 1, {f: (r[c] if c < n else None) for f, c in cols}

    def mapping(self) -> dict:
        """The mapping used, as {header: field}."""
        return {self.headers[c]: f for f, c in self.columns.items() if c < len(self.headers)}


def _score(row, known) -> int:
    return sum(1 for c in row if c is not None and header(c) in known)


def find_header(rows, kind, extra=()) -> tuple[int, int] | None:
    known = _known(kind) | set(extra)
    best, best_i = 0, None
    for i, r in enumerate(rows[:30]):
        s = _score(r, known)
        if s > best:
            best, best_i = s, i
    if best_i is None or best < 2:
        return None
    start = best_i + 1
    if start < len(rows):  # a caption row below a key row (云星空)
        nxt = rows[start]
        nonempty = [c for c in nxt if c is not None and text(c)]
        if nonempty and _score(nxt, known) * 2 >= len(nonempty) and _score(nxt, known) >= 2:
            start += 1
    return best_i, start


def detect_layout(headers_norm: list, kind) -> Layout:
    present = set(headers_norm)
    for lay in layouts_of(kind):
        if lay.forbid & present:
            continue
        if any(sig <= present for sig in lay.signatures):
            return lay
    return BY_KEY["generic_gl" if kind == "gl" else "generic_wms"]


def assign(headers_norm: list, kind, layout: Layout) -> dict:
    cols: dict = {}
    taken = set()
    for i, h in enumerate(headers_norm):
        f = layout.mapping.get(h)
        if f and f not in cols:
            cols[f] = i
            taken.add(i)
    for f in fields_of(kind):
        if f in cols:
            continue
        for alias in ALIASES[f]:
            hit = next((i for i, h in enumerate(headers_norm) if h == alias and i not in taken), None)
            if hit is not None:
                cols[f] = hit
                taken.add(hit)
                break
    return cols


def apply_mapping(headers_norm: list, kind, mapping: dict) -> dict:
    """A user's {header: field} → {field: column index}; headers not in the file are ignored."""
    allowed = set(fields_of(kind))
    cols = {}
    for h, f in mapping.items():
        if f not in allowed or f in cols:
            continue
        hn = header(h)
        hit = next((i for i, x in enumerate(headers_norm) if x == hn), None)
        if hit is not None:
            cols[f] = hit
    return cols


def prepare(sheets, kind, *, layout_key: str | None = None, mapping: dict | None = None, mapping_name: str = "") -> Prepared:
    """Find the sheet, header, layout and columns. ``layout_key`` forces a built-in layout, ``mapping``
    ({header: field}) forces the columns. Raises FileRejected when no header is found."""
    if kind == "gl" and sheets and len(sheets) == 1:
        rows = sheets[0][1]
        first = next((r for r in rows if r and not is_blank(r)), None)
        if first and text(first[0]) == "填制凭证":
            cols = dict(U8_COLUMNS)
            return Prepared(sheets[0][0], [f"第{i + 1}列" for i in range(max(cols.values()) + 1)], rows.index(first),
                            rows.index(first) + 1, U8_TXT, cols, rows)
    found = []
    extra = {header(h) for h in (mapping or {})}
    for name, rows in sheets:
        pos = find_header(rows, kind, extra)
        if pos is not None:
            found.append((_score(rows[pos[0]], _known(kind) | extra), name, rows, pos))
    if not found:
        raise FileRejected("找不到表头：文件不是可识别的表格，或缺少必需的列（"
                           + "、".join(FIELD_LABELS[f] for f in required_of(kind)) + "）")
    found.sort(key=lambda t: -t[0])
    _, name, rows, (hi, start) = found[0]
    headers = [text(c) for c in rows[hi]]
    norm = [header(c) for c in rows[hi]]
    lay = BY_KEY.get(layout_key) if layout_key else None
    if layout_key and (lay is None or lay.kind != kind or lay is U8_TXT):
        raise FileRejected(f"未知的格式“{layout_key[:40]}”：可用 " + "、".join(x.key for x in layouts_of(kind)))
    if lay is None:
        lay = detect_layout(norm, kind)
    cols = apply_mapping(norm, kind, mapping) if mapping else assign(norm, kind, lay)
    return Prepared(name, headers, hi, start, lay, cols, rows, mapping_name)


def check_required(prep: Prepared, kind, *, default_warehouse: bool = False):
    need = list(required_of(kind))
    if kind == "wms" and not default_warehouse:
        need.insert(0, "warehouse")
    missing = [f for f in need if f not in prep.columns]
    if missing:
        raise FileRejected("缺少必需的列：" + "、".join(f"{FIELD_LABELS[f]}（{f}）" for f in missing)
                           + "。请在字段映射中指定对应的列" + ("，或指定默认仓库" if missing == ["warehouse"] else ""))

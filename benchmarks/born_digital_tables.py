"""Table contents for the generated born-digital documents: amounts, dates, spans."""

from __future__ import annotations

import random
from dataclasses import dataclass

from born_digital_text import REGIONS


def fmt_date(style: int, y: int, m: int, d: int) -> str:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return [f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{d:02d}.{m:02d}.{y}", f"{months[m - 1]} {d}, {y}"][style]


@dataclass
class TableSpec:
    n_rows: int
    n_cols: int
    header_rows: int
    cells: list          # (row, col, row_span, col_span, text)
    align: list          # per column: "l" | "r"
    wrap_cols: tuple = ()
    caption: str = ""
    note: str = ""


def pct(v: float, sign: bool = False) -> str:
    v = round(v, 1) + 0.0  # no "-0.0%"
    return f"{v:+.1f}%" if sign and v else f"{v:.1f}%"


def financial_table(rng: random.Random) -> TableSpec:
    """An income statement whose lines add up, with a two-row spanned header."""
    def year(rev: float) -> list[float]:
        cos, pers, da = -rev * rng.uniform(0.45, 0.7), -rev * rng.uniform(0.1, 0.2), -rev * rng.uniform(0.02, 0.06)
        other = rev * rng.uniform(0, 0.03)
        ebit = rev + cos + pers + da + other
        fin = rev * rng.uniform(-0.03, 0.01)
        tax = -max(0.0, ebit + fin) * 0.25
        return [rev, cos, rev + cos, pers, da, other, ebit, fin, tax, ebit + fin + tax]

    items = ["Net revenue", "Cost of sales", "Gross profit", "Personnel expenses", "Depreciation and amortisation",
             "Other operating income", "Operating result (EBIT)", "Financial result", "Income taxes",
             "Net income for the year"]
    rev = rng.uniform(40000, 250000)
    now, before = year(rev), year(rev / rng.uniform(0.88, 1.18))
    paren = rng.random() < 0.5
    num = lambda v: f"({abs(v):,.2f})" if v < 0 and paren else f"{v:,.2f}"  # noqa: E731
    k = rng.randint(5, 10)
    cells = [(0, 0, 2, 1, "Line item"), (0, 1, 1, 2, "Fiscal year"), (0, 3, 1, 2, "Change"),
             (1, 1, 1, 1, "2023"), (1, 2, 1, 1, "2022"), (1, 3, 1, 1, "Amount"), (1, 4, 1, 1, "%")]
    for r in range(k):
        a, b = now[r], before[r]
        change = (a - b) / abs(b) * 100
        share = "n/m" if abs(change) > 250 else pct(change, sign=True)  # "not meaningful", as reports say
        cells += [(r + 2, 0, 1, 1, items[r]), (r + 2, 1, 1, 1, num(a)), (r + 2, 2, 1, 1, num(b)),
                  (r + 2, 3, 1, 1, num(a - b)), (r + 2, 4, 1, 1, share)]
    return TableSpec(k + 2, 5, 2, cells, ["l", "r", "r", "r", "r"],
                     caption="Table {n}. Consolidated income statement (EUR thousands)",
                     note="Figures in brackets are negative. Prior year restated for IFRS 16." if paren
                     else "Prior year restated for IFRS 16.")


def ledger_table(rng: random.Random) -> TableSpec:
    style = rng.randrange(4)
    descr = ["Freight charges, northern corridor", "Refund of customs deposit for shipment 4471 after appeal",
             "Fuel card settlement", "Warehouse rent Duisburg, March and April", "Insurance premium",
             "Correction of duplicate invoice posted in error on the previous statement", "Bank fees",
             "Payment received – Müller & Söhne GmbH", "Consulting services (phase 2)", "Café supplies",
             "Licence renewal, routing software, three-year term"]
    k = rng.randint(6, 11)
    bal = rng.uniform(-5000, 40000)
    cells = [(0, c, 1, 1, h) for c, h in enumerate(["Date", "Reference", "Description", "Debit", "Credit", "Balance"])]
    day = rng.randint(1, 20)
    for r in range(1, k + 1):
        day = min(28, day + rng.randint(0, 3))
        amt = rng.uniform(20, 25000)
        amt = float(round(amt, -1)) if rng.random() < 0.3 else amt  # round sums: "1,230.00"
        debit = rng.random() < 0.6
        bal += -amt if debit else amt
        cells += [(r, 0, 1, 1, fmt_date(style, 2024, 3, day)), (r, 1, 1, 1, f"INV-{rng.randint(10000, 99999)}"),
                  (r, 2, 1, 1, rng.choice(descr)), (r, 3, 1, 1, f"{amt:,.2f}" if debit else ""),
                  (r, 4, 1, 1, "" if debit else f"{amt:,.2f}"), (r, 5, 1, 1, f"{bal:,.2f}")]
    return TableSpec(k + 1, 6, 1, cells, ["l", "l", "l", "r", "r", "r"], wrap_cols=(2,),
                     caption="Table {n}. Account statement, March 2024 (EUR)",
                     note="Balances are shown after each posting; negative balances indicate an overdraft.")


def regions_table(rng: random.Random) -> TableSpec:
    cells = [(0, c, 1, 1, h) for c, h in enumerate(["Region", "Area", "Revenue (EUR k)", "Margin", "Headcount", "YoY"])]
    r = 1
    for region, areas in rng.sample(REGIONS, rng.randint(2, 3)):
        picked = rng.sample(areas, rng.randint(2, min(3, len(areas))))
        cells.append((r, 0, len(picked), 1, region))
        for area in picked:
            cells += [(r, 1, 1, 1, area), (r, 2, 1, 1, f"{rng.uniform(800, 90000):,.1f}"),
                      (r, 3, 1, 1, pct(rng.uniform(-4, 28))), (r, 4, 1, 1, f"{rng.randint(12, 2400):,}"),
                      (r, 5, 1, 1, pct(rng.uniform(-12, 15), sign=True))]
            r += 1
    return TableSpec(r, 6, 1, cells, ["l", "l", "r", "r", "r", "r"],
                     caption="Table {n}. Revenue and margin by region, 2023", note="YoY: change against 2022 in %.")


def schedule_table(rng: random.Random) -> TableSpec:
    tasks = ["Site survey and permits", "Detailed design of the heat exchanger station", "Procurement",
             "Civil works, phase 1", "Commissioning and handover to the operator", "Training of staff",
             "Evaluation report"]
    owners = ["J. Kowalski", "M. Dvořák", "A. Lefèvre", "S. Weiß", "R. Peña", "L. Conceição"]
    statuses = ["Completed", "In progress", "Delayed (see note)", "Not started", "On hold"]
    k = rng.randint(4, 7)
    cells = [(0, c, 1, 1, h) for c, h in enumerate(["Work package", "Owner", "Start", "End", "Status", "Budget (EUR)"])]
    for r, task in enumerate(rng.sample(tasks, k), start=1):
        m = rng.randint(1, 9)
        cells += [(r, 0, 1, 1, task), (r, 1, 1, 1, rng.choice(owners)), (r, 2, 1, 1, fmt_date(0, 2024, m, 1)),
                  (r, 3, 1, 1, fmt_date(0, 2024, m + rng.randint(1, 3), 28)), (r, 4, 1, 1, rng.choice(statuses)),
                  (r, 5, 1, 1, f"{rng.uniform(5000, 480000):,.2f}")]
    return TableSpec(k + 1, 6, 1, cells, ["l", "l", "l", "l", "l", "r"], wrap_cols=(0,),
                     caption="Table {n}. Work packages and budget", note="")


TABLE_MAKERS = [financial_table, ledger_table, regions_table, schedule_table]

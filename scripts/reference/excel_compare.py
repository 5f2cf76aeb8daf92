"""`attackdb export excel` against mitreattack-python 6.3.1's attackToExcel, workbook by workbook.

Usage: python excel_compare.py [--data DIR] [--release X.Y] [--attackdb BIN] [--reference DIR]
                               [--keep DIR] [DOMAIN ...]

Run it with a Python that has mitreattack-python 6.3.1 and openpyxl, e.g.
`python3 -m venv /work/venv-excel && /work/venv-excel/bin/pip install mitreattack-python==6.3.1
openpyxl pandas`. The bundles (DIR/<domain>/<domain>-X.Y.json.gz) are decompressed into a
temporary folder; attackToExcel's `export(domain, output_dir, stix_file)` writes its workbooks
(skipped with `--reference DIR`, a folder it wrote before), `attackdb --data DIR --release X.Y
export excel` writes attackdb's, and both are read back with openpyxl.

Printed: per domain, every workbook and sheet of attackToExcel with its row count, attackdb's row
count, and what differs: a missing file or sheet, sheets out of order, headers (attackToExcel's
must be attackdb's first columns, in order; attackdb's own come after them and are listed),
row counts, and for the techniques, relationships, citations and matrix sheets the cell values
(techniques and relationships keyed by their STIX ID; `relationship citations` compared as sets,
attackToExcel writes Python's set order), and how many sub-techniques each tool's matrices put
beside a technique that is not their parent. Exit status 1 when anything differs; on 18.1 only
enterprise's platform matrices do, on purpose (attackToExcel misplaces 88 sub-techniques there,
see crates/attackdb-navigator/src/excel.rs).
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import openpyxl

DOMAINS = ["enterprise-attack", "mobile-attack", "ics-attack"]


def read_workbooks(folder):
    """{file: [(sheet, headers, rows)]}, trailing empty cells and rows dropped."""
    found = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".xlsx"):
            continue
        wb = openpyxl.load_workbook(os.path.join(folder, name), read_only=True)
        sheets = []
        for ws in wb.worksheets:
            rows = [["" if c is None else c for c in row] for row in ws.iter_rows(values_only=True)]
            while rows and all(c == "" for c in rows[-1]):
                rows.pop()
            headers = [str(h) for h in rows[0]] if rows else []
            while headers and headers[-1] == "":
                headers.pop()
            sheets.append((ws.title, headers, rows[1:]))
        found[name] = sheets
    return found


def cells(row, headers, wanted):
    return {h: (row[i] if i < len(row) else "") for i, h in enumerate(headers) if h in wanted}


def norm(value, header):
    if header == "relationship citations":
        return frozenset(x for x in str(value).split(",") if x)
    return value


def compare_values(sheet, ref_h, ref_rows, our_h, our_rows):
    """Differences in the cells of attackToExcel's columns."""
    problems = []
    if sheet.endswith("matrix") or sheet == "matrix":
        for r, (a, b) in enumerate(zip(ref_rows, our_rows)):
            a = list(a) + [""] * (len(ref_h) - len(a))
            b = list(b[: len(ref_h)]) + [""] * (len(ref_h) - len(b))
            if a[: len(ref_h)] != b[: len(ref_h)]:
                problems.append(f"row {r + 2} differs: {a} vs {b}")
                break
        return problems
    key = "STIX ID" if "STIX ID" in ref_h else ("reference" if "reference" in ref_h else None)
    if key is None:
        return problems
    def keyed(rows, headers):
        found, seen = {}, {}
        for row in rows:
            c = cells(row, headers, ref_h)
            k = c.get(key)
            seen[k] = seen.get(k, 0) + 1
            found[(k, seen[k])] = c
        return found

    ours = keyed(our_rows, our_h)
    shown = 0
    for (k, n), a in keyed(ref_rows, ref_h).items():
        b = ours.get((k, n))
        if b is None:
            problems.append(f"{a.get(key)} missing")
        else:
            for h in ref_h:
                if norm(a.get(h, ""), h) != norm(b.get(h, ""), h):
                    problems.append(f"{a.get(key)} {h}: {str(a.get(h))[:60]!r} vs {str(b.get(h))[:60]!r}")
        if len(problems) > shown:
            shown = len(problems)
            if shown >= 3:
                break
    return problems


def misplaced_subtechniques(matrices_xlsx, bundle):
    """How many sub-techniques a workbook's matrix sheets show beside a technique that is not
    their parent (the cell to their left, or the merged range it is part of)."""
    names, parents = {}, {}
    for o in bundle["objects"]:
        if o["type"] == "attack-pattern" and not o.get("revoked") and not o.get("x_mitre_deprecated"):
            names.setdefault(o["name"], set()).add(o["id"])
        if o["type"] == "relationship" and o["relationship_type"] == "subtechnique-of":
            parents.setdefault(o["source_ref"], set()).add(o["target_ref"])
    wrong = 0
    wb = openpyxl.load_workbook(matrices_xlsx)
    for ws in wb.worksheets:
        if not (ws.title == "matrix" or ws.title.endswith(" matrix")):
            continue
        merged = {}
        for rng in ws.merged_cells.ranges:
            if rng.min_row > 1:
                for r in range(rng.min_row, rng.max_row + 1):
                    merged[(r, rng.min_col)] = ws.cell(rng.min_row, rng.min_col).value
        headers = [c.value for c in ws[1]]
        for col in range(2, len(headers) + 1):
            if headers[col - 1] not in (None, ""):
                continue
            for r in range(2, ws.max_row + 1):
                sub = ws.cell(r, col).value
                if not sub:
                    continue
                tech = merged.get((r, col - 1)) or ws.cell(r, col - 1).value
                tech_ids = names.get(tech, set())
                if not any(parents.get(s, set()) & tech_ids for s in names.get(sub, set())):
                    wrong += 1
    return wrong


def compare_domain(domain, ref_dir, our_dir):
    ref = read_workbooks(ref_dir)
    ours = read_workbooks(our_dir) if os.path.isdir(our_dir) else {}
    table = []
    differences = 0
    for f, sheets in ref.items():
        our_sheets = ours.get(f)
        if our_sheets is None:
            table.append((f, "", "", "", "file missing"))
            differences += 1
            continue
        our_names = [s[0] for s in our_sheets]
        ref_names = [s[0] for s in sheets]
        if our_names[: len(ref_names)] != ref_names:
            table.append((f, "", "", "", f"sheets {our_names} vs {ref_names}"))
            differences += 1
        for name, headers, rows in sheets:
            match = [s for s in our_sheets if s[0] == name]
            if not match:
                table.append((f, name, len(rows), "", "sheet missing"))
                differences += 1
                continue
            _, our_h, our_rows = match[0]
            notes = []
            if our_h[: len(headers)] != headers:
                notes.append(f"headers {our_h} vs {headers}")
            if len(our_rows) != len(rows):
                notes.append("row count")
            if f.endswith(("-techniques.xlsx", "-relationships.xlsx", "-matrices.xlsx")) or name == "citations":
                notes.extend(compare_values(name, headers, rows, our_h, our_rows))
            extra = our_h[len(headers):]
            if notes:
                differences += 1
            note = "; ".join(notes) or "same"
            if extra and not notes:
                note += f" (+ attackdb's {', '.join(extra)})"
            table.append((f, name, len(rows), len(our_rows), note))
        for name in our_names:
            if name not in ref_names:
                table.append((f, name, "", len(next(s for s in our_sheets if s[0] == name)[2]), "attackdb's own sheet"))
    for f in ours:
        if f not in ref:
            table.append((f, "", "", "", "attackdb's own file"))
    return table, differences


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/attack-stix-data")
    parser.add_argument("--release", default="18.1")
    parser.add_argument("--attackdb", default="target/release/attackdb")
    parser.add_argument("--reference", help="a folder attackToExcel wrote before (<domain>/...)")
    parser.add_argument("--keep", help="write both outputs here instead of a temporary folder")
    parser.add_argument("domains", nargs="*")
    args = parser.parse_args()
    domains = args.domains or DOMAINS
    work = args.keep or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    ref_root = args.reference or os.path.join(work, "attackToExcel")
    our_root = os.path.join(work, "attackdb")
    timings = {}
    try:
        if not args.reference:
            from mitreattack.attackToExcel import attackToExcel

            for domain in domains:
                src = os.path.join(args.data, domain, f"{domain}-{args.release}.json.gz")
                stix = os.path.join(work, f"{domain}.json")
                with gzip.open(src, "rb") as f_in, open(stix, "wb") as f_out:
                    shutil.copyfileobj(f_in, f_out)
                start = time.time()
                try:
                    attackToExcel.export(domain=domain, output_dir=ref_root, stix_file=stix, overwrite=True,
                                         log_written_files=False)
                    timings[domain] = time.time() - start
                except Exception as e:  # attackToExcel fails on some releases: say so, go on
                    print(f"attackToExcel failed on {domain}: {e!r}")
        shutil.rmtree(our_root, ignore_errors=True)
        start = time.time()
        for domain in domains:
            subprocess.run([args.attackdb, "--data", args.data, "--release", args.release, "--domain",
                            domain.split("-")[0], "export", "excel", "-o", our_root], check=True,
                           stdout=subprocess.DEVNULL)
        ours_time = time.time() - start
        total = 0
        for domain in domains:
            ref_dir = os.path.join(ref_root, domain)
            if not os.path.isdir(ref_dir):
                print(f"\n## {domain}: no attackToExcel output")
                continue
            table, differences = compare_domain(domain, ref_dir, os.path.join(our_root, domain))
            with gzip.open(os.path.join(args.data, domain, f"{domain}-{args.release}.json.gz"), "rt") as f:
                bundle = json.load(f)
            matrices = f"{domain}-matrices.xlsx"
            wrong = [misplaced_subtechniques(os.path.join(d, domain, matrices), bundle)
                     if os.path.exists(os.path.join(d, domain, matrices)) else "-" for d in (ref_root, our_root)]
            total += differences
            print(f"\n## {domain} {args.release}: {differences} differences"
                  + (f" (attackToExcel {timings[domain]:.1f} s)" if domain in timings else ""))
            print("| workbook | sheet | attackToExcel rows | attackdb rows | result |")
            print("|---|---|---|---|---|")
            for row in table:
                print("| " + " | ".join(str(c) for c in row) + " |")
            print(f"sub-techniques beside a technique that is not their parent: attackToExcel {wrong[0]},"
                  f" attackdb {wrong[1]}")
        print(f"\nattackdb, all domains: {ours_time:.1f} s")
        return 1 if total else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Robustness set: pollutes a clean CSV table in every way the sniffer must
handle (dialect, encoding, preamble, footer, blank and comment lines,
header rows, trailing delimiters, stray quotes, a second table, bad rows),
each at several rows and columns, registers every file with mdm (no
per-file flags) and reports the share whose stored table is exactly the
clean one (as `mdm dataset export` writes it).

    python3 scripts/pollute.py path/to/mdm [workdir]
"""
import csv
import io
import os
import random
import shutil
import subprocess
import sys

random.seed(15)
HEADER = ["id", "name", "amount", "day", "flag"]
NAMES = ["ann", "bob lee", "Cid, Jr.", "dee", "Émile", "fay", "O'Neil", "gus"]
ROWS = [
    [str(i), NAMES[i % len(NAMES)], f"{(i * 37) % 1000 / 4:.2f}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
     "true" if i % 3 else "false"]
    for i in range(1, 41)
]


def render(rows, delimiter=",", quotechar='"', escape=None, terminator="\n", header=True, quoting=csv.QUOTE_MINIMAL):
    out = io.StringIO()
    kwargs = dict(delimiter=delimiter, quotechar=quotechar, lineterminator=terminator, quoting=quoting)
    if escape:
        kwargs.update(doublequote=False, escapechar=escape)
    writer = csv.writer(out, **kwargs)
    if header:
        writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def cases():
    clean = render(ROWS)
    yield "clean", clean, {}
    for d in [";", "\t", "|", " "]:
        yield f"delimiter_{ord(d)}", render(ROWS, delimiter=d), {}
    for d in [", ", "; "]:
        text = render(ROWS, delimiter=d[0]).replace(d[0], d)
        # Only delimiters outside quotes get the space.
        rows = [HEADER] + ROWS
        text = "\n".join(d.join(('"' + c + '"') if (d[0] in c) else c for c in r) for r in rows) + "\n"
        yield f"delimiter2_{ord(d[0])}", text, {}
    yield "quote_single", render(ROWS, quotechar="'"), {}
    rows = [r[:] for r in ROWS]
    for i in (2, 11, 30):
        rows[i][1] = f'say "hi", {rows[i][1]}'
    yield "escape_backslash", render(rows, escape="\\", quoting=csv.QUOTE_ALL), {"rows": rows}
    yield "escape_double", render(rows), {"rows": rows}
    for t, name in [("\r\n", "crlf"), ("\r", "cr")]:
        yield f"terminator_{name}", render(ROWS, terminator=t), {}
    preambles = [
        "Created as New Dataset, Sample 022\n",
        "Title: sales report\nGenerated 2024-01-01, by the exporter\n\n",
        "Report\nRegion: North, South\nUnits: EUR\nSource: office\n\n",
    ]
    for n, p in enumerate(preambles):
        yield f"preamble_{n}", p + clean, {}
    footers = ["Source: Statistics Office\n", "\nTotal rows: 40\nValues in EUR, rounded\n"]
    for n, f in enumerate(footers):
        yield f"footer_{n}", clean + f, {}
    lines = clean.splitlines(keepends=True)
    for at in (2, 17, 35):
        yield f"blank_{at}", "".join(lines[:at] + ["\n"] + lines[at:]), {}
        yield f"comment_{at}", "".join(lines[:at] + ["# a comment, with a comma\n"] + lines[at:]), {}
    yield "trailing_delimiter", "".join(l.rstrip("\n") + ",\n" if i else l for i, l in enumerate(lines)), {}
    yield "trailing_delimiter_all", "".join(l.rstrip("\n") + ",\n" for l in lines), {}
    yield "units_row", lines[0] + ",,EUR,,\n" + "".join(lines[1:]), {"names": ["id", "name", "amount EUR", "day", "flag"]}
    yield "no_header", "".join(lines[1:]), {"names": [f"column_{i}" for i in range(1, 6)]}
    for row in (0, 9, 25):
        for col in (1,):
            rows = [r[:] for r in ROWS]
            rows[row][col] = rows[row][col].replace(",", "") + ' 5" wide'
            text = render(rows, quoting=csv.QUOTE_MINIMAL).replace('"' + rows[row][col].replace('"', '""') + '"', rows[row][col])
            yield f"stray_quote_{row}", text, {"rows": rows}
    yield "second_table", clean + "\nname,total\nx,1\ny,2\n", {}
    for enc in ["cp1252", "utf-16", "utf-16-be", "utf-8-sig"]:
        yield f"encoding_{enc}", clean.encode(enc), {}
    euro = [[r[0], r[1], r[2].replace(".", ","), r[3], r[4]] for r in ROWS]
    yield "decimal_comma", render(euro, delimiter=";"), {}
    combo = "Export of 2024-01-01; office\n\n" + render(euro, delimiter=";", terminator="\r\n") + "\r\nSource: office\r\n"
    yield "combination_cp1252", combo.encode("cp1252"), {}
    for row in (3, 20, 39):
        bad = [r[:] for r in ROWS]
        bad[row] = bad[row] + ["extra"]
        yield f"bad_row_long_{row}", render(bad), {"bad": True}
        bad = [r[:] for r in ROWS]
        bad[row] = bad[row][:3]
        yield f"bad_row_short_{row}", render(bad), {"bad": True}


def export(mdm, home, name):
    env = dict(os.environ, MDM_HOME=home)
    out = subprocess.run([mdm, "-q", "dataset", "export", name, "--table", "train", "--output", "-", "--format", "csv"],
                         env=env, capture_output=True, text=True)
    return out.stdout


def main():
    mdm = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/mdm-pollute"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home = os.path.join(work, "home")
    env = dict(os.environ, MDM_HOME=home)
    # The clean table as mdm stores it is the reference.
    path = os.path.join(work, "reference.csv")
    with open(path, "w") as f:
        f.write(render(ROWS))
    subprocess.run([mdm, "-q", "dataset", "register", "reference", path, "--no-features"], env=env, check=True)
    reference = export(mdm, home, "reference")
    exact = total = 0
    failed = []
    for index, (name, data, expect) in enumerate(cases()):
        if expect.get("bad"):
            continue
        total += 1
        path = os.path.join(work, f"{name}.csv")
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        result = subprocess.run([mdm, "-q", "dataset", "register", f"p{index}", path, "--no-features"],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            failed.append(f"{name}: {result.stderr.strip()}")
            continue
        got = export(mdm, home, f"p{index}")
        want = reference
        if "rows" in expect or "names" in expect:
            rows = expect.get("rows", ROWS)
            tmp = os.path.join(work, f"{name}.expected.csv")
            with open(tmp, "w") as f:
                f.write(render(rows))
            subprocess.run([mdm, "-q", "dataset", "register", f"e{index}", tmp, "--no-features",
                            "--text-columns", "name"], env=env, check=True)
            want = export(mdm, home, f"e{index}")
            if "names" in expect:
                want = ",".join(expect["names"]) + "\n" + want.split("\n", 1)[1]
        if got == want:
            exact += 1
        else:
            failed.append(f"{name}: table differs\n{got[:300]}\n--- expected\n{want[:300]}")
    # Rows that do not fit: refused by default; with --bad-rows skip every
    # other row is stored and the bad one is in _rejects.
    bad_total = bad_ok = 0
    for index, (name, data, expect) in enumerate(cases()):
        if not expect.get("bad"):
            continue
        bad_total += 1
        path = os.path.join(work, f"{name}.csv")
        with open(path, "w") as f:
            f.write(data)
        refused = subprocess.run([mdm, "-q", "dataset", "register", f"b{index}", path, "--no-features"],
                                 env=env, capture_output=True, text=True)
        skipped = subprocess.run([mdm, "-q", "dataset", "register", f"s{index}", path, "--no-features",
                                  "--bad-rows", "skip"], env=env, capture_output=True, text=True)
        got = export(mdm, home, f"s{index}") if skipped.returncode == 0 else ""
        if refused.returncode == 1 and skipped.returncode == 0 and got.count("\n") == reference.count("\n") - 1:
            bad_ok += 1
        else:
            failed.append(f"{name}: refused={refused.returncode} skipped={skipped.returncode} {skipped.stderr.strip()}")
    print(f"loaded exactly: {exact} of {total} polluted files ({100 * exact / total:.1f}%)")
    print(f"bad rows refused by default and skipped into _rejects: {bad_ok} of {bad_total}")
    for line in failed:
        print("  " + line)


if __name__ == "__main__":
    main()

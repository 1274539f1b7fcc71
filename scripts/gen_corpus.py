#!/usr/bin/env python3
"""Writes the irregular delimited files of tests/corpus/tables/ (the table
each must produce is the committed `NAME.expected.csv` next to it; extra
`register` flags, if any, are in `NAME.args`, one per line).

The pandas and R-style files are written by pandas itself (pip install
pandas); the spreadsheet and open-data portal files are written byte for
byte as those programs write them. Run from the repository root:
    python3 scripts/gen_corpus.py
"""
import io
import os

OUT = os.path.join("tests", "corpus", "tables")


def write(name, data, args=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    if args:
        with open(os.path.join(OUT, name.rsplit(".", 1)[0] + ".args"), "w") as f:
            f.write("\n".join(args) + "\n")


def pandas_files():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "city": ["Zürich", "São Paulo", "Kraków, PL", 'The "Big" Apple'],
            "population": [421878, 12325232, 779115, 8336817],
            "area": [87.88, 1521.11, 326.8, 783.8],
            "founded": ["1218-01-01", "1554-01-25", "1257-06-05", "1624-01-01"],
        }
    )
    # pandas' default: the index as an unnamed first column.
    write("pandas_index.csv", frame.to_csv())
    write("pandas_no_index.csv", frame.to_csv(index=False))
    # R's write.csv: quoted strings and header, row names under an empty name.
    import csv

    write(
        "r_row_names.csv",
        frame.set_axis([str(i) for i in range(1, 5)]).to_csv(quoting=csv.QUOTE_NONNUMERIC),
    )
    # Excel 'CSV UTF-8' (comma, BOM, CRLF) and a German Excel 'CSV' (cp1252,
    # semicolons, decimal comma, CRLF).
    write(
        "excel_utf8_bom_crlf.csv",
        b"\xef\xbb\xbf" + frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8"),
    )
    german = frame.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
    write("excel_cp1252_semicolon.csv", german.encode("cp1252", errors="replace"))
    # Excel 'Unicode Text': UTF-16LE with BOM, tabs.
    write(
        "excel_unicode_text.txt",
        frame.to_csv(index=False, sep="\t", lineterminator="\r\n").encode("utf-16"),
    )
    write(
        "utf16be_no_bom.csv",
        frame.to_csv(index=False).encode("utf-16-be"),
    )
    # pandas with every field quoted and a backslash escape character.
    write(
        "pandas_backslash_escape.csv",
        frame.to_csv(index=False, quoting=csv.QUOTE_ALL, doublequote=False, escapechar="\\"),
    )


def hand_files():
    write(
        "portal_preamble_footer.csv",
        "Created as New Dataset, Sample 022\n"
        "Statistics Office; retrieved 2024-03-01\n"
        "\n"
        "region,year,value\n"
        "North,2020,12.5\n"
        "South,2020,7.25\n"
        "North,2021,13\n"
        "South,2021,8\n"
        "\n"
        "Source: Statistics Office, table 12-3\n"
        "Values in thousands\n",
    )
    write(
        "trailing_delimiter.csv",
        "id,name,score\n1,ann,3.5,\n2,bob,4.25,\n3,cid,1,\n",
    )
    write(
        "units_row.csv",
        "station;temperature;pressure\n;degC;hPa\nA1;21,5;1013,2\nB2;19,25;1009\nC3;-3,5;998,7\n",
    )
    write("space_delimited.txt", "id x y label\n1 0.5 2 a\n2 1.5 3 b\n3 2.5 4 c\n")
    write("comma_space.csv", 'id, name, score\n1, "Smith, Ann", 3.5\n2, Bob, 4\n3, Cid, 5.25\n')
    write("semicolon_space.csv", "id; price; qty\n1; 2,50; 3\n2; 10,00; 1\n3; 0,99; 12\n")
    write(
        "stray_quote.csv",
        'id,item,size\n1,TV 55" screen,55\n2,Monitor 27" panel,27\n3,"quoted, ok",3\n',
    )
    write(
        "comments_and_blank_lines.csv",
        "# exported by a logger\n# units: seconds\nt,event\n0.5,start\n\n1.25,tick\n# paused\n2,stop\n",
    )
    write(
        "two_tables.csv",
        "id,a,b\n1,2,3\n4,5,6\n\nname,total\nx,10\ny,20\n",
    )
    write("no_header.csv", "1,2.5,2024-01-01\n2,3.5,2024-01-02\n3,,2024-01-03\n")
    write(
        "two_header_rows.csv",
        "id,weight,height\nkey,kg,cm\n1,70.5,180\n2,82,175\n3,60.25,165\n",
    )
    write("single_quote.csv", "id,text\n1,'a, b'\n2,'c'\n3,'d, e'\n")
    write("pipe_quoted.psv", 'id|note|n\n1|"a|b"|1\n2|plain|2\n3|"say ""hi"""|3\n')
    write(
        "bad_rows_skip.csv",
        "id,a,b\n1,x,2\n2,y\n3,z,4,extra\n4,w,5\n",
        ["--bad-rows", "skip"],
    )
    write(
        "bad_rows_pad.csv",
        "id,a,b\n1,x,2\n2,y\n3,z,4,extra\n4,w,5\n",
        ["--bad-rows", "pad"],
    )
    write(
        "forced_dialect.txt",
        "junk line one\njunk line two\n1:a\n2:b\n3:c\n",
        ["--skip-rows", "2", "--delimiter", ":", "--header-rows", "0"],
    )
    write("cr_only_latin1.csv", b"id;name\r1;Caf\xe9\r2;Cr\xe8me br\xfbl\xe9e\r")
    spreadsheet_preambles()
    further_tables()


def spreadsheet_preambles():
    """Spreadsheet exports: a title row and a blank row above the table,
    padded with delimiters to its width (and a blank padded row between a
    header and its units row)."""
    write(
        "padded_preamble_comma.csv",
        "PREAMBLE,,,,,,,,\n,,,,,,,,\n"
        "DATE,TIME,Qty,PRODUCTID,Price,ProductType,ProductDescription,URL,Comments\n"
        "28/01/2018,00:00,2,MG-8769,$74.69,Hat,Wool hat,http://x/1,\n"
        "29/01/2018,00:10,1,MG-8770,$12.00,Cap,Cotton cap,http://x/2,ok\n"
        "30/01/2018,00:20,5,MG-8771,$5.50,Sock,Pair,http://x/3,\n",
    )
    write(
        "padded_preamble_semicolon_units.csv",
        "Monthly report;Q1 2018;;;;\n;;;;;\nRegion;Store;Units;Revenue;Opened;Manager\n;;;;;\n"
        ";;pcs;EUR;date;\nNorth;N-01;120;1520,50;2015-03-01;Anna\n"
        "South;S-02;95;980,00;2016-07-12;Ben\nEast;E-03;130;1710,25;2014-11-30;Chloe\n"
        "West;W-04;88;870,10;2017-01-15;Dan\n",
    )
    write(
        "padded_preamble_tab.txt",
        "Shop\tExport\t2018-01-31\t\t\t\t\n\t\t\t\t\t\t\n"
        "id\tname\tqty\tprice\tday\tcity\tok\n"
        "1\tapple\t3\t1.5\t2018-01-01\tOslo\ttrue\n"
        "2\tpear\t4\t2.5\t2018-01-02\tBergen\tfalse\n"
        "3\tplum\t5\t3.5\t2018-01-03\tOslo\ttrue\n",
    )


def further_tables():
    """A second table directly under the first (no blank line): narrower
    and short, or wider and longer than the first."""
    first = ["id,a,b,c,d,e,f,g,h"] + [
        ",".join([str(r)] + [str((r * 31 + j * 17) % 100) for j in range(8)]) for r in range(30)
    ]
    narrow = ["code,label,value,weight"] + [f"C{r},item {r},{r * 3},{r / 2}" for r in range(10)]
    wide = [",".join(f"col{j}" for j in range(12))] + [
        ",".join(str((r * 7 + j) % 10) for j in range(12)) for r in range(60)
    ]
    write("further_table_narrower.csv", "\n".join(first + narrow) + "\n")
    write("further_table_wider_and_longer.csv", "\n".join(first + wide) + "\n")


def iso(value, timestamp=False):
    """A date or timestamp as mdm exports it (ISO; microseconds when any)."""
    if not timestamp:
        return value.strftime("%Y-%m-%d")
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return text + (f".{value.microsecond:06d}" if value.microsecond else "")


def spelled_values():
    """Dates and numbers spelled as people write them, each written by pandas
    (`Series.dt.strftime`, `to_csv(decimal=",")`) or by Python's own number
    formatting; the expected table is made from the same pandas values, in
    ISO dates and plain numbers."""
    import pandas as pd

    days = pd.to_datetime(["2018-01-28", "2019-02-13", "2020-03-05", "2021-12-31"])
    stamps = pd.to_datetime(
        ["2018-01-28 13:45:10.250", "2019-02-13 08:00:00", "2020-03-05 23:59:59.999", "2021-12-31 00:00:00"],
        format="ISO8601",
    )
    prices = [1234.5, 0.25, 99.99, 1000000.0]
    quantities = [3, 1200, 45, 1234567]

    def expected(name, frame):
        write(name.rsplit(".", 1)[0] + ".expected.csv", frame.to_csv(index=False, lineterminator="\n"))

    plain = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": [iso(d) for d in days],
            "stamp": [iso(t, True) for t in stamps],
            "price": prices,
            "qty": quantities,
        }
    )
    # Day-first dates and times, comma-grouped numbers (as a UK export).
    uk = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": days.strftime("%d/%m/%Y"),
            "stamp": stamps.strftime("%d/%m/%Y %H:%M:%S.%f"),
            "price": [f"{p:,.2f}" for p in prices],
            "qty": [f"{q:,}" for q in quantities],
        }
    )
    write("spelled_dayfirst_grouped.csv", uk.to_csv(index=False, lineterminator="\n"))
    expected("spelled_dayfirst_grouped.csv", plain.assign(price=[float(f"{p:.2f}") for p in prices]))
    # Month-first dates with 12-hour times, as a US export.
    us = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": days.strftime("%m/%d/%Y"),
            "stamp": stamps.floor("s").strftime("%m/%d/%Y %I:%M:%S %p"),
            "price": prices,
            "qty": quantities,
        }
    )
    write("spelled_monthfirst_us.csv", us.to_csv(index=False, lineterminator="\n"))
    expected("spelled_monthfirst_us.csv", plain.assign(stamp=[iso(t, True) for t in stamps.floor("s")]))
    # German: semicolons, dotted dates, a decimal comma and dotted thousands.
    de = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": days.strftime("%d.%m.%Y"),
            "stamp": stamps.floor("s").strftime("%d.%m.%Y %H:%M"),
            "price": [f"{p:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") for p in prices],
            "qty": quantities,
        }
    )
    write("spelled_german.csv", de.to_csv(index=False, sep=";", lineterminator="\n"))
    expected(
        "spelled_german.csv",
        plain.assign(stamp=[iso(t, True) for t in stamps.floor("min")]),
    )
    # No-break spaces between thousands (as French and Swedish write them),
    # a decimal comma (pandas' own) and full month names.
    fr = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": days.strftime("%d %B %Y"),
            "amount": [f"{p:,.2f}".replace(",", "\u00a0").replace(".", ",") for p in prices],
            "ratio": [0.5, 1.25, 3.0, 0.125],
        }
    )
    write("spelled_space_grouped_month_names.csv", fr.to_csv(index=False, sep=";", decimal=",", lineterminator="\n"))
    expected(
        "spelled_space_grouped_month_names.csv",
        pd.DataFrame({"id": [1, 2, 3, 4], "day": plain.day, "amount": prices, "ratio": [0.5, 1.25, 3.0, 0.125]}),
    )
    # Month names first, and UTC timestamps with milliseconds as pandas and
    # JavaScript's toISOString write them.
    utc = stamps.tz_localize("UTC")
    named = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": days.strftime("%b %d, %Y"),
            "pandas_utc": utc,
            "js_utc": [t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z" for t in utc],
        }
    )
    write("spelled_month_names_utc.csv", named.to_csv(index=False, lineterminator="\n"))
    expected(
        "spelled_month_names_utc.csv",
        pd.DataFrame(
            {
                "id": [1, 2, 3, 4],
                "day": plain.day,
                "pandas_utc": [iso(t, True) for t in stamps],
                "js_utc": [iso(t, True) for t in stamps.floor("ms")],
            }
        ),
    )
    # Every day at most 12: either order reads; nothing is guessed, the
    # column stays text as written.
    ambiguous = pd.DataFrame({"id": [1, 2, 3], "day": ["05/03/2020", "01/02/2019", "12/11/2018"]})
    write("spelled_ambiguous_dates.csv", ambiguous.to_csv(index=False, lineterminator="\n"))
    expected("spelled_ambiguous_dates.csv", ambiguous)


def spreadsheet_exports():
    """Files saved by a spreadsheet program: a workbook written by openpyxl
    (a title row, a blank row, US date and grouped number formats) saved as
    CSV by LibreOffice Calc with its cells as shown, comma- and
    semicolon-separated. Skipped (the committed files stay) where
    LibreOffice is not installed (Debian: libreoffice-calc-nogui)."""
    import datetime
    import shutil
    import subprocess
    import tempfile

    import openpyxl

    soffice = shutil.which("soffice")
    if soffice is None:
        print("gen_corpus: soffice not found; spreadsheet exports left as committed")
        return
    rows = [
        (datetime.date(2018, 1, 28), datetime.datetime(2018, 1, 29, 14, 5), 1234.5, 1200),
        (datetime.date(2019, 2, 13), datetime.datetime(2019, 2, 14, 9, 30), 0.25, 3),
        (datetime.date(2020, 3, 5), datetime.datetime(2020, 3, 5, 23, 59), 1000000, 1234567),
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Sales export"])
    sheet.append([])
    sheet.append(["Order date", "Shipped", "Amount", "Units"])
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=4):
        cells[0].number_format = "mm/dd/yyyy"
        cells[1].number_format = "mm/dd/yyyy hh:mm AM/PM"
        cells[2].number_format = "#,##0.00"
        cells[3].number_format = "#,##0"
    expected = "Order date,Shipped,Amount,Units\n" + "".join(
        f"{d:%Y-%m-%d},{t:%Y-%m-%d %H:%M:%S},{float(a)!r},{u}\n" for d, t, a, u in rows
    )
    with tempfile.TemporaryDirectory() as work:
        workbook = os.path.join(work, "sales.xlsx")
        book.save(workbook)
        # Filter options: separator, quote, UTF-8, first line, -, en-US,
        # quote text cells, detect special numbers, save cells as shown.
        for name, separator in [("spreadsheet_calc_us_comma", 44), ("spreadsheet_calc_us_semicolon", 59)]:
            subprocess.run(
                [soffice, "--headless", "--convert-to",
                 f"csv:Text - txt - csv (StarCalc):{separator},34,76,1,,1033,true,true,true",
                 "--outdir", work, workbook],
                check=True, capture_output=True,
            )
            with open(os.path.join(work, "sales.csv"), "rb") as f:
                write(name + ".csv", f.read())
            write(name + ".expected.csv", expected)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    pandas_files()
    hand_files()
    spelled_values()
    spreadsheet_exports()

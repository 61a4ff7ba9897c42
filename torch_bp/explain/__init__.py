"""The worked example explained: every line against the slides, and a learner's working checked.

    report.py, report_rounds.py   the lines, their verdicts and the errata's causes
    report_render.py, report_html.py   as text, markdown, JSON, one web page
    check.py, check_working.py    a learner's numbers: the first wrong one, the mistake
    check_render.py               the check as text, markdown, JSON
    second_order.py, second_order_formulas.py   the Hessian entry by entry, its spectrum, the first step
    second_order_render.py        as text, markdown, JSON, one web page
"""

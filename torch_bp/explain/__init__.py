"""The worked example explained: every line against the slides, and a learner's working checked.

    report.py, report_rounds.py   the lines, their verdicts and the errata's causes
    report_render.py, report_html.py   as text, markdown, JSON, one web page
    check.py, check_working.py    a learner's numbers: the first wrong one, the mistake
    check_render.py               the check as text, markdown, JSON
    live.py, live/                one page where every number follows the learner's edits
    reference*.py                 the worked example to 50 digits (mpmath): each printed digit proven
    step_sizes.py                 finite differences against the complex step, step size by step size
    exercise.py, telling.py       a class set: each student's own setting, drawn until the check
                                  can tell every catalogued mistake apart on it
    worksheet.py, marking.py      a student's sheet, answer file and key; their answers marked
    feedback.py, class_summary.py the student's feedback page; the class page
    second_order.py, second_order_formulas.py   the Hessian entry by entry, its spectrum, the first step
    second_order_render.py        as text, markdown, JSON, one web page
"""

"""Eval suites: the acceptance tests of model behaviour and the regression memory of a system.

suite.py     the evals/<name>.yaml model          load.py      read it, explain mistakes
assertions/  one small check per type             targets.py   case -> call (protocols)
targets_prompt.py  a registry prompt version      backends.py  in process or through a gateway
runner.py    concurrent, bounded, seeded          summary.py   case outcomes, pass rates
stats.py     Wilson, exact McNemar                compare.py   the regression verdict
calibration.py  confidence against verdicts      reports/     table, JSON, JUnit, MD, HTML
store.py     runs and the output cache (SQL)      addcase.py   grow a suite from a trace
execute.py   all of it put together (``seawall eval run``, ``run_for_prompt_version``)
baseline.py  --baseline RUN_ID | latest | production
"""

"""Review cases (SPEC §9): what happens after a ``review`` or ``block`` decision.

``opening`` turns stored decisions into case inputs (with the SLA of ``sla``), ``lifecycle`` is the state
machine of the actions (four eyes included), ``quality`` the rule-quality report. Persistence is
``conduct_engine.store.cases``.
"""

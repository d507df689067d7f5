"""Rehearsals 彩排: a show run end to end with a simulated audience, in accelerated time.

A rehearsal runs on a *copy* of a show (``rehearsal_of`` names the original), so nothing it logs,
sells or records mixes with the real show's data, and its replay can be compared with the real
one. Its show clock (studio/live_console/clock.py) makes three wall minutes look like three show
hours to everything downstream: event log, orders, minute metrics, recording and clips.

    service.py      create the copy (plan included) and start its clock
    operator.py     the automatic operator 自动中控: follows the run sheet over the WebSocket
    replay_feed.py  the simulated orders, minutes and comments, into replay
    run.py          one rehearsal from start to clips; an in-process server when none is given
    cli.py          `studio rehearse` and `studio demo`
"""

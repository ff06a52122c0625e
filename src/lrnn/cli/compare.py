"""``lrnn compare-lr``: one run per learning rate, a table, overlaid cost curves and a
recommendation (the lesson's last figure, with the rate it would pick and why)."""

from __future__ import annotations

import argparse
import math

from lrnn.cli.commands import DEFAULT_COMPARE_PLOT, _choose, _out, _request
from lrnn.cli.outputs import OutputPlan
from lrnn.cli.train_lines import (
    given_label,
    say_if_encoding_is_unused,
    say_if_label_is_unused,
    six_decimals,
)
from lrnn.errors import printable
from lrnn.verdicts import STOPS

#: How a compare-lr run that is compared ended: all its iterations, or converged (a run that
#: stopped on separated data after one step is not a rate to recommend).
RAN_ITS_COURSE = ("max_iter", "tol", "converged")


def _rose_how(row: dict) -> str:
    if row["still_rising"]:
        return "no, but the cost still rises at the end"
    return "no, but the cost rose" if row["cost_rose"] else "no"


def cmd_compare_lr(args: argparse.Namespace) -> int:
    from lrnn import after_training, plots, run

    plot = DEFAULT_COMPARE_PLOT if args.plot is None else args.plot
    plan = OutputPlan().read("DATA", args.data).read("--test", args.test)
    plan.write("--plot", plot, "plot", derived=_choose("--plot", args.plot)).check()
    train_ds, test_ds, _ = run.load_train_and_test(_request(args))
    say_if_label_is_unused(given_label(args), train_ds.spec, scoring=False)
    read = [p for p in (args.data, args.test) if p]
    say_if_encoding_is_unused(args.encoding, train_ds.spec.kind, read)
    runs, diverged, rows = after_training.compare_learning_rates(
        train_ds, test_ds, args.rates, args.iterations
    )
    # a rate is recommended only if it ended below where it started: one that ends above the
    # zero weights' cost made things worse, however it compares with the others
    start = runs[0][1]["cost"][0] if runs and runs[0][1]["cost"] else math.inf
    # nor one that stopped short of its iterations without converging (separated data, a
    # gradient of 0 at a rate 10⁵ × 2/L): its cost was not one after all of them
    usable = [
        r for r in rows
        if not r["diverged"] and math.isfinite(r["final_cost"]) and r["final_cost"] < start
        and r["stop_reason"] in RAN_ITS_COURSE
    ]  # fmt: skip
    # nor one whose cost still rose at the end: where its oscillation stopped decided its cost
    swinging = [r for r in usable if r["still_rising"]]
    usable = [r for r in usable if not r["still_rising"]]
    best = min(usable, key=lambda r: r["final_cost"]) if usable else None
    plots.lr_comparison(runs, plot, diverged=diverged)
    # Where no rate tried descends steadily, say which ones would: the lesson's way out.
    bound, scaling = after_training.steady_rate_bound(train_ds, args.standardize)
    if args.json:
        for row in rows:
            _out(args, **row)
        recommended = None if best is None else best["learning_rate"]
        _out(args, recommended=recommended, steady_below=bound, plot=plot)
        return 0
    print(f"{'learning rate':>14} {'final cost':>11} {'train acc':>10} {'test acc':>9}  diverged")
    cost = lambda value: six_decimals(value) if math.isfinite(value) else "—"  # noqa: E731

    def percent(value: float, width: int) -> str:  # a diverged run has no accuracy to show
        return f"{100 * value:>{width - 1}.2f}%" if math.isfinite(value) else f"{'—':>{width}}"

    for r in rows:
        ended = (
            f"; stopped at {r['iterations']}: {STOPS.get(r['stop_reason'], r['stop_reason'])}"
            if not r["diverged"] and r["iterations"] < args.iterations
            else ""
        )
        print(
            f"{r['learning_rate']:>14g} {cost(r['final_cost']):>11} "
            f"{percent(r['train_accuracy'], 10)} {percent(r['test_accuracy'], 9)}  "
            f"{'yes' if r['diverged'] else _rose_how(r)}{ended}"
        )
    steady = f"rates below about {bound:.3g} (2/L) descend steadily on this data"
    if best is None:
        early = any(not r["diverged"] and r["stop_reason"] not in RAN_ITS_COURSE for r in rows)
        what = (
            "every rate diverged"
            if all(diverged)
            else f"no rate ended below the starting cost {six_decimals(start)}"
            + (" after all its iterations (those that stopped early are left out)" if early else "")
        )
        # rates far below 2/L move the cost too little to tell: larger ones, then
        way = "smaller" if any(rate >= bound for rate in args.rates) else "larger"
        if all(r["stop_reason"] == "converged" and r["iterations"] == 0 for r in rows):
            print(  # the gradient is exactly 0 at the zero weights: no rate can do better
                f"every rate stopped at once: the starting weights are the optimum (cost "
                f"{six_decimals(start)}, gradient exactly 0)"
            )
        else:
            print(
                f"{what}: {steady}; try {way} ones (--rates), or --learning-rate "
                f"auto when training{scaling}"
            )
    else:
        print(
            f"recommended learning rate: {best['learning_rate']:g} (lowest final cost "
            f"without diverging after {args.iterations} iteration"
            f"{'' if args.iterations == 1 else 's'}"
            + (f"; its cost rose on the way: {steady}{scaling})" if best["cost_rose"] else ")")
        )
    if swinging and (best is None or min(r["final_cost"] for r in swinging) < best["final_cost"]):
        named = ", ".join(f"{r['learning_rate']:g}" for r in swinging)
        print(
            f"not recommended: {named}, whose cost still rose in the last tenth of the run: "
            "its final cost is where an oscillation stopped, not what the rate reaches"
        )
    print(f"cost curves saved to {printable(plot)}")
    return 0

"""Ray Tune (on a laptop, a cluster, or Kubernetes with KubeRay) drives a glit run as a
black box, through glit's ask / tell commands.

    glit run scripts/glit_search.rhai --out /shared/runs/glit --delegate &
    python3 examples/ray_tune_ask_tell.py /shared/runs/glit --samples 4

Each Tune trial is a glit worker: it leases candidates (`glit ask`), scores them with the
run's supernet (`glit evaluate`; put any evaluation of your own in its place), reports each
score to glit (`glit tell`) and to Tune (`tune.report`), until the run finishes. The run
directory must be on storage every Ray node mounts (on KubeRay, a shared volume in the head
and worker pod specs). glit's search ends the same however many trials run. Needs
`pip install "ray[tune]"`.
"""

import argparse
import json
import os
import subprocess

from ray import tune

try:  # Ray 2.x before and after `tune.report` took a metrics dict
    from ray.tune import report as report_metrics
except ImportError:  # pragma: no cover
    from ray.train import report as report_metrics


def glit(binary, *words):
    done = subprocess.run([binary, *words], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"glit {' '.join(words)}: {done.stderr.strip()}")
    return done.stdout


def trainable(config):
    run, binary = config["run"], config["glit"]
    while True:
        asked = json.loads(glit(binary, "ask", run, "--wait", "5"))
        if not asked["tasks"]:
            if asked["finished"]:
                return
            continue
        task = asked["tasks"][0]
        score = float(glit(binary, "evaluate", run, task["task"]))
        glit(binary, "tell", run, task["task"], repr(score))
        report_metrics({"score": score, "arch": task["arch"]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run directory of a `glit run --delegate`")
    parser.add_argument("--glit", default="glit", help="the glit binary on every node")
    parser.add_argument("--samples", type=int, default=2, help="trials (workers) at once")
    args = parser.parse_args()
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"run": os.path.abspath(args.run), "glit": args.glit},
        tune_config=tune.TuneConfig(num_samples=args.samples),
    )
    results = tuner.fit()
    print(f"{len(results)} Tune trials scored candidates of {args.run}")


if __name__ == "__main__":
    main()

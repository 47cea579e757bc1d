"""Optuna workers drive a glit run as a black box, through glit's ask / tell commands.

    glit run scripts/glit_search.rhai --out runs/optuna --delegate &
    python3 examples/optuna_ask_tell.py runs/optuna --jobs 2

Each Optuna trial leases one candidate of the run (`glit ask`), scores it with the run's
supernet (`glit evaluate`; put any evaluation of your own in its place), and reports the
score to glit (`glit tell`) and to Optuna (`study.tell`). The study then holds every scored
candidate with its architecture as a user attribute (give `--storage sqlite:///glit.db` to
keep it, e.g. for optuna-dashboard). Parallel trials lease different candidates, and glit's
search ends the same however many run. Needs `pip install optuna`.
"""

import argparse
import json
import subprocess
import threading

import optuna


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run directory of a `glit run --delegate`")
    parser.add_argument("--glit", default="glit", help="the glit binary")
    parser.add_argument("--jobs", type=int, default=1, help="trials at once")
    parser.add_argument("--storage", default=None, help="an Optuna storage URL")
    args = parser.parse_args()

    def glit(*words):
        done = subprocess.run([args.glit, *words], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"glit {' '.join(words)}: {done.stderr.strip()}")
        return done.stdout

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="glit", direction="maximize", storage=args.storage, load_if_exists=True
    )

    def trials():
        while True:
            asked = json.loads(glit("ask", args.run, "--wait", "5"))
            if not asked["tasks"]:
                if asked["finished"]:
                    return
                continue
            task = asked["tasks"][0]
            trial = study.ask()
            trial.set_user_attr("arch", task["arch"])
            score = float(glit("evaluate", args.run, task["task"]))
            glit("tell", args.run, task["task"], repr(score))
            study.tell(trial, score)

    workers = [threading.Thread(target=trials) for _ in range(args.jobs)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    print(f"{len(done)} trials; best {study.best_value} {study.best_trial.user_attrs['arch']}")


if __name__ == "__main__":
    main()

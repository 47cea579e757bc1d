#!/usr/bin/env bash
# Scoring workers as a Slurm array: each array task joins the run as one `glit worker` and
# scores candidates until the run finishes. The run directory must be on shared storage.
#
#   glit run scripts/glit_search.rhai --out /shared/runs/glit --device cuda:0 &
#   sbatch --array=0-7 examples/slurm_workers.sh /shared/runs/glit
#
# A worker killed by Slurm (preemption, time limit) loses its lease after --lease-timeout
# seconds, and another worker scores its candidate again; the search ends the same.
#SBATCH --job-name=glit-worker
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
set -euo pipefail
RUN_DIR=${1:?usage: sbatch --array=0-N slurm_workers.sh RUN_DIR}
exec glit worker "$RUN_DIR" --device cuda:0 --lease-timeout 900 --idle-exit 3600

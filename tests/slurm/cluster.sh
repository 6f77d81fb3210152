#!/bin/bash
# A one-node Slurm cluster on this machine, for tests: munged, slurmctld and
# slurmd from Debian's packages, started by hand (no systemd) with every file
# in one directory.
#
#   cluster.sh start DIR   write DIR/slurm.conf and a munge key, start the
#                          daemons, wait for the node to be idle
#   cluster.sh env DIR     print the exports that point srun/sbatch at it
#   cluster.sh stop DIR    cancel its jobs and stop the daemons
#
# Settings: SLURM_TEST_CPUS (CPUs the node declares, default 4),
# SLURM_TEST_PORT (slurmctld's port; slurmd uses the next one, default 6817).
# Needs root and the packages munge slurmctld slurmd slurm-client.
set -u

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cpus=${SLURM_TEST_CPUS:-4}
port=${SLURM_TEST_PORT:-6817}
host=$(hostname -s)

print_env() {
    echo "export SLURM_CONF=$dir/slurm.conf"
}

# A pid file's process, if it is alive and named $2 (not a zombie).
alive() {
    local pidfile=$1 name=$2 pid state
    [ -s "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm")" = "$name" ] || return 1
    state=$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat" 2>/dev/null)
    [ "$state" != Z ]
}

stop_one() {
    local pidfile=$1 name=$2 i
    alive "$pidfile" "$name" || return 0
    kill -TERM "$(cat "$pidfile")" 2>/dev/null
    for i in $(seq 100); do
        alive "$pidfile" "$name" || return 0
        sleep 0.1
    done
    kill -KILL "$(cat "$pidfile")" 2>/dev/null
}

write_conf() {
    mkdir -p "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge"
    chmod 755 "$dir" "$dir/munge"
    cat >"$dir/slurm.conf" <<CONF
ClusterName=hpsearchci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MinJobAge=300
InactiveLimit=0
MailProg=/bin/true
Epilog=/bin/true
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    if [ ! -s "$dir/munge/munge.key" ]; then
        head -c 1024 /dev/urandom >"$dir/munge/munge.key"
        chmod 400 "$dir/munge/munge.key"
    fi
}

start() {
    for p in munged slurmctld slurmd srun sbatch squeue scancel; do
        if ! command -v "$p" >/dev/null && [ ! -x "/usr/sbin/$p" ]; then
            echo "cluster.sh: $p is not installed (packages: munge slurmctld slurmd slurm-client)" >&2
            exit 1
        fi
    done
    write_conf
    export SLURM_CONF=$dir/slurm.conf
    if ! alive "$dir/munge/munged.pid" munged; then
        /usr/sbin/munged --force --key-file="$dir/munge/munge.key" \
            --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
            --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" ||
            { echo "cluster.sh: munged did not start" >&2; exit 1; }
    fi
    if ! alive "$dir/run/slurmctld.pid" slurmctld; then
        /usr/sbin/slurmctld -c -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1 ||
            { echo "cluster.sh: slurmctld did not start:" >&2; tail -5 "$dir/log/slurmctld.log" >&2; exit 1; }
    fi
    if ! alive "$dir/run/slurmd.pid" slurmd; then
        /usr/sbin/slurmd -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmd.out" 2>&1 ||
            { echo "cluster.sh: slurmd did not start:" >&2; tail -5 "$dir/log/slurmd.log" >&2; exit 1; }
    fi
    local i state
    for i in $(seq 150); do
        state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
        case $state in idle*|mixed*|allocated*) break ;; esac
        sleep 0.2
    done
    case $state in
    idle*|mixed*|allocated*) ;;
    *)
        echo "cluster.sh: the node did not come up (state '${state:-none}'); logs in $dir/log" >&2
        tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2
        exit 1
        ;;
    esac
    if ! timeout 60 srun -Q -n1 --input=none true </dev/null; then
        echo "cluster.sh: a first srun failed; logs in $dir/log" >&2
        exit 1
    fi
}

stop() {
    export SLURM_CONF=$dir/slurm.conf
    if alive "$dir/run/slurmctld.pid" slurmctld; then
        timeout 20 scancel -Q --full --cluster=hpsearchci --user=root 2>/dev/null
        sleep 0.5
    fi
    stop_one "$dir/run/slurmd.pid" slurmd
    stop_one "$dir/run/slurmctld.pid" slurmctld
    stop_one "$dir/munge/munged.pid" munged
    # slurmstepd outlives slurmd: anything the cluster still runs goes too.
    pkill_steps
    return 0
}

# Steps left by a dead slurmd: the slurmstepd processes whose command line
# names this cluster's spool directory.
pkill_steps() {
    local pid
    for pid in $(pgrep -x slurmstepd 2>/dev/null); do
        if grep -q -- "$dir" "/proc/$pid/environ" "/proc/$pid/cmdline" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
        fi
    done
}

case $cmd in
start) start ;;
stop) stop ;;
env) print_env ;;
*)
    echo "usage: $0 start|stop|env DIR" >&2
    exit 2
    ;;
esac

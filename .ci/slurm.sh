#!/usr/bin/env bash
# Start (or stop) a real single-node Slurm cluster with munge, as root, no systemd.
#   source .ci/slurm.sh start   -> exports SLURM_CONF, records PID files in $SLURM_CI_DIR
#   .ci/slurm.sh stop DIR       -> stops the daemons started in DIR, by PID, newest first
# Needs the Debian packages slurmctld slurmd slurm-client munge.
slurm_ci_start() {
    SLURM_CI_DIR=$(mktemp -d /tmp/ci-slurm.XXXXXX)
    export SLURM_CI_DIR
    install -d -o munge -g munge -m 0755 /run/munge
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        echo "munged already running: using it (and leaving it running)"
    else
        # --force: start even if a killed munged left its socket or pid file behind
        runuser -u munge -- /usr/sbin/munged --force
        cp /run/munge/munged.pid "$SLURM_CI_DIR/munged.pid"
        munge -n | unmunge >/dev/null
    fi
    mkdir -p "$SLURM_CI_DIR/state" "$SLURM_CI_DIR/spool"
    cat > "$SLURM_CI_DIR/slurm.conf" <<CONF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$SLURM_CI_DIR/state
SlurmdSpoolDir=$SLURM_CI_DIR/spool
SlurmctldPidFile=$SLURM_CI_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_CI_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_CI_DIR/slurmctld.log
SlurmdLogFile=$SLURM_CI_DIR/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$SLURM_CI_DIR/slurm.conf
    slurmctld
    slurmd -N localhost
    for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 1; done
    sinfo
}

slurm_ci_stop() {
    local dir=$1 f pid
    for f in slurmd slurmctld munged; do
        [ -s "$dir/$f.pid" ] || continue
        pid=$(cat "$dir/$f.pid")
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    done
}

case "${1:-}" in
    start) slurm_ci_start ;;
    stop) slurm_ci_stop "$2" ;;
esac

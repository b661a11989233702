#!/usr/bin/env bash
# A single-node SLURM cluster on localhost, for the integration test and for trying profiles/slurm locally.
# Debian packages: munge, slurmctld, slurmd, slurm-client, slurmdbd + mariadb-server (so sacct works).
# GPUs are faked as gres character devices (major 195, no driver), so GPU requests schedule.
#   local-cluster.sh start    install if needed, start munge, mariadb, slurmdbd, slurmctld, slurmd
#   local-cluster.sh stop     stop them by PID, and put back the /etc/slurm files it replaced (none: removed)
# Run as root. State lives in $SLURM_LOCAL_DIR (default /tmp/slurm-local); $SLURM_FAKE_GPUS (default 2).
# Why stop removes its slurm.conf: left behind, it names a controller that is gone, and every `scontrol show
# config` then waits 9 s for it: the SLURM executor plugin runs that on import, so every `snakemake` start would.
set -euo pipefail
STATE=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
GPUS=${SLURM_FAKE_GPUS:-2}
PACKAGES="munge slurmctld slurmd slurm-client slurmdbd mariadb-server"
CONFIGS="slurm.conf gres.conf slurmdbd.conf"  # under /etc/slurm, written by start

stop_pid() { local pid; pid=$(cat "$1" 2>/dev/null) && kill "$pid" 2>/dev/null || true; }

await() {  # await "description" command...: poll for 30 s
  local what=$1; shift
  for _ in $(seq 120); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "local-cluster: timed out waiting for $what" >&2; return 1
}

install_packages() {
  dpkg -s $PACKAGES >/dev/null 2>&1 && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
}

fake_gpus() {
  rm -f /etc/slurm/gres.conf
  ((GPUS > 0)) || return 0
  for ((i = 0; i < GPUS; i++)); do [[ -c $STATE/gpu$i ]] || mknod "$STATE/gpu$i" c 195 "$i"; done
  echo "NodeName=localhost Name=gpu File=$STATE/gpu[0-$((GPUS - 1))]" > /etc/slurm/gres.conf
}

write_slurm_conf() {
  local memory gres=""
  memory=$(( $(free -m | awk '/^Mem:/{print $2}') - 1024 ))
  ((GPUS > 0)) && gres="Gres=gpu:$GPUS"
  # DefMemPerCPU: without a default memory per job, each job takes the whole node and they run one at a time.
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=localcluster
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MpiDefault=none
ReturnToService=2
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
JobAcctGatherType=jobacct_gather/linux
AccountingStorageTRES=gres/gpu
NodeName=localhost NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$memory $gres State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start_accounting() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  mariadb -e 'select 1' >/dev/null 2>&1 || (mariadbd --user=mysql --skip-networking \
    --pid-file=/run/mysqld/mysqld.pid > "$STATE/mariadb.log" 2>&1 &)
  await mariadb mariadb -e 'select 1'
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=slurm
LogFile=$STATE/slurmdbd.log
PidFile=$STATE/slurmdbd.pid
CONF
  chmod 600 /etc/slurm/slurmdbd.conf
  /usr/sbin/slurmdbd
  await slurmdbd sacctmgr -n show cluster
  sacctmgr -n -P show cluster format=cluster | grep -qx localcluster || sacctmgr -i add cluster localcluster >/dev/null
}

keep_configs() {  # the machine's own /etc/slurm files, set aside at the first start after a stop
  local leftover=false  # this cluster's own files, left by an earlier version's stop: nothing to keep
  grep -qsx 'ClusterName=localcluster' /etc/slurm/slurm.conf && leftover=true
  mkdir -p "$STATE/etc-slurm"
  for f in $CONFIGS; do
    [[ -e $STATE/etc-slurm/$f.ours ]] && continue  # started before: what is there now is ours
    rm -f "$STATE/etc-slurm/$f"
    if ! $leftover && [[ -e /etc/slurm/$f ]]; then cp -p "/etc/slurm/$f" "$STATE/etc-slurm/$f"; fi
    touch "$STATE/etc-slurm/$f.ours"
  done
}

restore_configs() {
  for f in $CONFIGS; do
    [[ -e $STATE/etc-slurm/$f.ours ]] || continue
    rm -f "/etc/slurm/$f" "$STATE/etc-slurm/$f.ours"
    [[ -e $STATE/etc-slurm/$f ]] && mv "$STATE/etc-slurm/$f" "/etc/slurm/$f"
  done
  return 0
}

start() {
  install_packages
  mkdir -p "$STATE/ctld" "$STATE/spool" /run/munge && chown munge:munge /run/munge
  keep_configs
  munge -n >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged
  await munge bash -c 'munge -n | unmunge'
  fake_gpus
  write_slurm_conf
  start_accounting  # slurmdbd must be up before slurmctld
  /usr/sbin/slurmctld
  await slurmctld bash -c 'scontrol ping | grep -q UP'
  /usr/sbin/slurmd
  await "an idle node" bash -c 'sinfo -h -o %t | grep -q idle'
  sinfo
}

stop() {
  stop_pid "$STATE/slurmd.pid"; stop_pid "$STATE/slurmctld.pid"; sleep 1
  stop_pid "$STATE/slurmdbd.pid"; stop_pid /run/mysqld/mysqld.pid; stop_pid /run/munge/munged.pid
  restore_configs
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

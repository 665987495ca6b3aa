# shellcheck shell=bash disable=SC2034 # PROVIDER_* settings are read by the neutral library
# The AWS provider of the cloud commands: every AWS call lives here, through
# the AWS CLI v2 (gpa_aws). scripts/gpuprobe-aws sources it after the neutral
# library (scripts/lib/*.sh).
#
# The provider interface: what scripts/lib/providers/NAME.sh defines for the
# neutral commands (up, status, list, down, check, jupyter, tunnel, sweep).
# Errors end the run with gpc_die; progress goes through gpc_say.
#
#   settings   PROVIDER_DEFAULT_TYPE   the instance type `up` launches without --type
#              PROVIDER_EXAMPLE_TYPES  types shown in messages, comma-separated
#              PROVIDER_STATE_KEYS     the state keys the provider adds (array)
#              PROVIDER_PASS_OPTS      options to pass on to child runs, e.g.
#                                      (--profile P), filled by provider_common_opt
#   preflight  provider_common_opt ARGS...   options every command takes (sets
#                                      GPC_SHIFT to the number used, 0 = none)
#              provider_preflight [REGION]   select the region (the recorded one
#                                      when given, else --region, else the
#                                      provider's defaults) into GPC_REGION, or die
#              provider_check_type TYPE      status 0 when TYPE looks like an instance type
#   up         provider_help_up, provider_up_opt ARGS...   up's help and its own options
#              provider_up TYPE MINUTES MAX_HOURS USER     launch one instance with
#                                      ssh from gpc_my_ip's /32 only, tagged for
#                                      `list`, ending itself after MINUTES; fill
#                                      GPC_STATE (INSTANCE_ID, REGION, INSTANCE_TYPE,
#                                      SSH_USER, KEY_FILE, EXPIRES_AT, MAX_HOURS,
#                                      LAUNCHED_AT, then PUBLIC_IP, PUBLIC_DNS,
#                                      PRIVATE_IP), gpc_state_save as soon as the
#                                      instance exists, return once ssh can answer
#              provider_up_abort       after a failed provider_up: put what it made
#                                      into GPC_STATE for provider_down and say so;
#                                      status 1 when it made nothing
#   down       provider_down           end GPC_STATE's instance (waiting until it
#                                      is gone) and delete what up made for it,
#                                      unless another recorded name uses it;
#                                      status 1 when something could not be deleted
#              provider_terminate ID...  end these instances and wait
#   list       provider_list [LABEL=VALUE]  JSON array of the live instances
#                                      labelled project=gpuprobe (and LABEL=VALUE):
#                                      {id, type, state, launched, expires_at,
#                                      owner, name, address}
#              provider_status ID      JSON {state, launched} of one instance ({}
#                                      when the provider does not answer)
#              provider_status_lines   `status` lines of the provider's resources
#   price      provider_price TYPE     on-demand USD per hour, or nothing
#   sweep      provider_help_sweep, provider_sweep_opt ARGS... (appends what each
#              up needs to GPC_SWEEP_UP_ARGS), provider_sweep_begin ID (resources
#              the parallel ups share), provider_sweep_end (deletes them)
#
# Extra labels for the instance come in GPC_EXTRA_TAGS (KEY=VALUE words).

PROVIDER_DEFAULT_TYPE=g5.xlarge
PROVIDER_EXAMPLE_TYPES=g4dn.xlarge,g5.xlarge
PROVIDER_STATE_KEYS=(AMI KEY_NAME KEY_CREATED KEY_FILE_CREATED SG_ID SG_CREATED SPOT)
PROVIDER_PASS_OPTS=()

GPA_DEFAULT_AMI_PARAM=/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id
GPA_AWS=${GPUPROBE_AWS_CLI:-aws}
GPA_PROFILE="" # --profile; AWS_PROFILE in the environment is honoured by the CLI itself

# ---- preflight -----------------------------------------------------------------
provider_common_opt() {
  case $1 in
    --profile) gpc_need_arg "$@"; GPA_PROFILE=$2; GPC_SHIFT=2 ;;
    --profile=*) GPA_PROFILE=${1#*=}; GPC_SHIFT=1 ;;
    *) return 0 ;;
  esac
  PROVIDER_PASS_OPTS=(--profile "$GPA_PROFILE")
}

# Every AWS call goes through here: the endpoint (AWS CLI < 2.13 ignores
# AWS_ENDPOINT_URL, so it is passed explicitly), the profile and the region.
gpa_aws() {
  local -a pre=()
  [[ -n ${AWS_ENDPOINT_URL:-} ]] && pre+=(--endpoint-url "$AWS_ENDPOINT_URL")
  [[ -n $GPA_PROFILE ]] && pre+=(--profile "$GPA_PROFILE")
  [[ -n $GPC_REGION ]] && pre+=(--region "$GPC_REGION")
  AWS_PAGER="" "$GPA_AWS" "${pre[@]}" "$@"
}

# Region: --region, else the state file's (for commands on an existing
# instance), else AWS_REGION / AWS_DEFAULT_REGION, else the profile's.
provider_preflight() {
  local from_state=${1:-}
  [[ $GPC_REGION_EXPLICIT == 1 && -n $GPC_REGION ]] && return 0
  if [[ -n $from_state ]]; then GPC_REGION=$from_state; return 0; fi
  GPC_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
  if [[ -z $GPC_REGION ]]; then
    GPC_REGION=$(gpa_aws configure get region 2>/dev/null || true)
  fi
  [[ -n $GPC_REGION ]] || gpc_die "no region: pass --region or set AWS_REGION"
}

provider_check_type() { [[ $1 =~ ^[a-z][a-z0-9-]*\.[a-z0-9]+$ ]]; }

# ---- up ------------------------------------------------------------------------
provider_help_up() {
  cat <<'EOF'
Usage: gpuprobe-aws up [--type g5.xlarge] [--region R] [--ami ID | --ami-param SSM_NAME]
                       [--key NAME] [--max-hours 4] [--spot] [--open-jupyter-port]
                       [--subnet ID] [--user ubuntu] [--keep-on-failure] [--name NAME]

Launch one GPU instance from the Deep Learning AMI and record it under NAME
(default "default") in the local state directory.

  --type T             instance type (default g5.xlarge)
  --ami ID             use this AMI id
  --ami-param NAME     resolve the AMI from this public SSM parameter (default
                       /aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id;
                       Docker and the NVIDIA Container Toolkit come with it)
  --key NAME           EC2 key pair to create or reuse (default gpuprobe-aws-OWNER-NAME);
                       the private key is kept 0600 in STATE_DIR/keys/NAME.pem
  --max-hours H        the instance powers itself off (and so terminates) after H hours:
                       user-data runs `shutdown -h +MINUTES`, shutdown behaviour is
                       terminate, and the expires-at tag says when (default 4)
  --spot               one-time spot instance, terminated on interruption
  --open-jupyter-port  also allow port 8888 from your address/32 (not needed: use the tunnel)
  --subnet ID          launch into this subnet (default: the default VPC)
  --user U             login user recorded for ssh (default ubuntu)
  --keep-on-failure    leave the instance running when a step after launch fails
  --name NAME          state name, lets several instances coexist (default "default")

The security group gpuprobe-aws-OWNER-NAME allows port 22 from your address/32 only
(GPUPROBE_AWS_MY_IP, else https://checkip.amazonaws.com); never 0.0.0.0/0. Re-running
reconciles its rules (no duplicates, stale rules revoked). IMDSv2 is required.
Tags: project=gpuprobe, owner, expires-at, gpuprobe-name. Waits for running and
status ok, prints the ssh line and the price per hour when `gpuprobe instances`
knows it. Any failure after run-instances terminates the instance.
EOF
}

GPA_UP_AMI="" GPA_UP_AMI_PARAM=$GPA_DEFAULT_AMI_PARAM GPA_UP_KEY="" GPA_UP_SPOT=0 GPA_UP_JUPYTER=0 GPA_UP_SUBNET=""

provider_up_opt() {
  GPC_SHIFT=0
  case $1 in
    --ami) gpc_need_arg "$@"; GPA_UP_AMI=$2; GPC_SHIFT=2 ;;
    --ami-param) gpc_need_arg "$@"; GPA_UP_AMI_PARAM=$2; GPC_SHIFT=2 ;;
    --key) gpc_need_arg "$@"; GPA_UP_KEY=$2; GPC_SHIFT=2 ;;
    --spot) GPA_UP_SPOT=1; GPC_SHIFT=1 ;;
    --open-jupyter-port) GPA_UP_JUPYTER=1; GPC_SHIFT=1 ;;
    --subnet) gpc_need_arg "$@"; GPA_UP_SUBNET=$2; GPC_SHIFT=2 ;;
  esac
  return 0
}

# Key pair: reuse when AWS has it and we hold the private key; import our
# local key when only the file exists; else create (ed25519) and store 0600.
gpa_ensure_key() { # NAME -> sets GPA_KEY_FILE, GPA_KEY_CREATED (the key pair is ours), GPA_KEY_FILE_CREATED
  local name=$1 file material in_aws=0 owned=0 tags
  file="$GPC_STATE_DIR/keys/$name.pem"
  GPA_KEY_FILE=$file GPA_KEY_CREATED=0 GPA_KEY_FILE_CREATED=0
  if tags=$(gpa_aws ec2 describe-key-pairs --key-names "$name" --output json 2>/dev/null); then
    in_aws=1
    if jq -e --arg n "$GPC_NAME" '.KeyPairs[0].Tags // [] | any(.Key == "gpuprobe-name" and .Value == $n)' <<<"$tags" >/dev/null; then
      owned=1
    fi
  fi
  if [[ $in_aws == 1 ]]; then
    [[ -f $file ]] || gpc_die "key pair '$name' exists in $GPC_REGION but its private key is not in $file; pass --key with another name or delete that key pair"
    chmod 600 "$file"
    GPA_KEY_CREATED=$owned
    # the private key file is ours to delete only if AWS generated it for us
    if [[ $owned == 1 ]] && jq -e '.KeyPairs[0].Tags // [] | any(.Key == "gpuprobe-key-origin" and .Value == "created")' <<<"$tags" >/dev/null; then
      GPA_KEY_FILE_CREATED=1
    fi
    gpc_say "reusing key pair $name ($file)"
    return 0
  fi
  local tagspec owner
  owner=$(gpc_owner)
  tagspec="ResourceType=key-pair,Tags=[{Key=project,Value=$GPC_PROJECT_TAG},{Key=owner,Value=$owner},{Key=gpuprobe-name,Value=$GPC_NAME}]"
  if [[ -f $file ]]; then
    chmod 600 "$file"
    local pub
    pub=$(mktemp)
    ssh-keygen -y -f "$file" >"$pub"
    gpa_aws ec2 import-key-pair --key-name "$name" --public-key-material "fileb://$pub" \
      --tag-specifications "${tagspec%]},{Key=gpuprobe-key-origin,Value=imported}]" --output json >/dev/null
    rm -f "$pub"
    gpc_say "imported $file as key pair $name"
  else
    material=$(gpa_aws ec2 create-key-pair --key-name "$name" --key-type ed25519 \
      --tag-specifications "${tagspec%]},{Key=gpuprobe-key-origin,Value=created}]" --query KeyMaterial --output text)
    (umask 077 && printf '%s\n' "$material" >"$file")
    chmod 600 "$file"
    GPA_KEY_FILE_CREATED=1
    gpc_say "created key pair $name, private key $file (mode 0600)"
  fi
  GPA_KEY_CREATED=1
}

# Security group with exactly: 22/tcp from IP/32 [+ 8888/tcp from IP/32].
gpa_ensure_sg() { # SG_NAME VPC_ID(or empty: the default VPC) MY_IP OPEN_JUPYTER -> sets GPA_SG_ID, GPA_SG_CREATED
  local sgname=$1 vpc=$2 ip=$3 jup=$4 js desired revoke add
  local -a vpcf=() vpco=()
  [[ -n $vpc ]] && vpcf=("Name=vpc-id,Values=$vpc") vpco=(--vpc-id "$vpc")
  GPA_SG_CREATED=0
  js=$(gpa_aws ec2 describe-security-groups --filters "Name=group-name,Values=$sgname" "${vpcf[@]}" --output json)
  [[ $(jq '.SecurityGroups | length' <<<"$js") -le 1 ]] ||
    gpc_die "several security groups are named $sgname (one per VPC?): pass --subnet to pick the VPC"
  GPA_SG_ID=$(jq -r '.SecurityGroups[0].GroupId // empty' <<<"$js")
  if [[ -z $GPA_SG_ID ]]; then
    GPA_SG_ID=$(gpa_aws ec2 create-security-group --group-name "$sgname" "${vpco[@]}" \
      --description "gpuprobe-aws $GPC_NAME: ssh from the owner's address only" \
      --tag-specifications "ResourceType=security-group,Tags=[{Key=project,Value=$GPC_PROJECT_TAG},{Key=owner,Value=$(gpc_owner)},{Key=gpuprobe-name,Value=$GPC_NAME}]" \
      --query GroupId --output text)
    GPA_SG_CREATED=1
    gpc_say "created security group $sgname ($GPA_SG_ID)"
    js='{"SecurityGroups":[{"IpPermissions":[]}]}' # a new group has no ingress rule
  else
    if jq -e --arg n "$GPC_NAME" '.SecurityGroups[0].Tags // [] | any(.Key == "gpuprobe-name" and .Value == $n)' <<<"$js" >/dev/null; then
      GPA_SG_CREATED=1
    fi
    gpc_say "reusing security group $sgname ($GPA_SG_ID)"
  fi
  desired=$(jq -cn --arg ip "$ip/32" --argjson jup "$jup" '
    [{p: 22, c: $ip, d: "ssh from gpuprobe-aws owner"}] +
    (if $jup == 1 then [{p: 8888, c: $ip, d: "jupyter from gpuprobe-aws owner"}] else [] end)')
  # every existing ingress range that is not desired -> revoke
  revoke=$(jq -c --argjson want "$desired" '
    [.SecurityGroups[0].IpPermissions[]? as $p
     | ( ($p.IpRanges // [])[] | select(. as $r | $want | any($p.IpProtocol == "tcp" and $p.FromPort == .p and $p.ToPort == .p and $r.CidrIp == .c) | not)
         | ($p | {IpProtocol} + (if has("FromPort") then {FromPort, ToPort} else {} end)) + {IpRanges: [{CidrIp: .CidrIp}]} ),
       ( ($p.Ipv6Ranges // [])[] | ($p | {IpProtocol} + (if has("FromPort") then {FromPort, ToPort} else {} end)) + {Ipv6Ranges: [{CidrIpv6: .CidrIpv6}]} ),
       ( ($p.UserIdGroupPairs // [])[] | ($p | {IpProtocol} + (if has("FromPort") then {FromPort, ToPort} else {} end)) + {UserIdGroupPairs: [{GroupId: .GroupId}]} ),
       ( ($p.PrefixListIds // [])[] | ($p | {IpProtocol} + (if has("FromPort") then {FromPort, ToPort} else {} end)) + {PrefixListIds: [{PrefixListId: .PrefixListId}]} )
    ]' <<<"$js")
  if [[ $revoke != "[]" ]]; then
    gpc_say "revoking $(jq length <<<"$revoke") stale ingress rule(s) from $GPA_SG_ID"
    gpa_aws ec2 revoke-security-group-ingress --group-id "$GPA_SG_ID" --ip-permissions "$revoke" --output json >/dev/null
  fi
  add=$(jq -c --argjson want "$desired" '
    [(.SecurityGroups[0].IpPermissions // []) as $have
     | $want[] | . as $w
     | select($have | any(.IpProtocol == "tcp" and .FromPort == $w.p and .ToPort == $w.p and ((.IpRanges // []) | any(.CidrIp == $w.c))) | not)
     | {IpProtocol: "tcp", FromPort: .p, ToPort: .p, IpRanges: [{CidrIp: .c, Description: .d}]}]' <<<"$js")
  if [[ $add != "[]" ]]; then
    gpa_aws ec2 authorize-security-group-ingress --group-id "$GPA_SG_ID" --ip-permissions "$add" --output json >/dev/null
    gpc_say "allowed $(jq -r 'map("\(.FromPort)/tcp from \(.IpRanges[0].CidrIp)") | join(", ")' <<<"$add") in $GPA_SG_ID"
  fi
}

provider_up() { # TYPE MINUTES MAX_HOURS USER
  local type=$1 minutes=$2 max_hours=$3 user=$4
  local ami=$GPA_UP_AMI key=$GPA_UP_KEY subnet=$GPA_UP_SUBNET my_ip owner vpc
  GPA_KEY_CREATED=0 GPA_KEY_FILE_CREATED=0 GPA_SG_CREATED=0 GPA_UP_LAUNCHING=0
  my_ip=$(gpc_my_ip)
  owner=$(gpc_owner)
  [[ -n $key ]] || key="gpuprobe-aws-$owner-$GPC_NAME"
  GPA_UP_KEY=$key
  if [[ -z $ami ]]; then
    ami=$(gpa_aws ssm get-parameter --name "$GPA_UP_AMI_PARAM" --query Parameter.Value --output text) ||
      gpc_die "cannot resolve the AMI from SSM parameter $GPA_UP_AMI_PARAM (pass --ami ID)"
    gpc_say "AMI $ami (from $GPA_UP_AMI_PARAM)"
  fi
  [[ $ami =~ ^ami-[0-9a-f]+$ ]] || gpc_die "'$ami' is not an AMI id"

  vpc="" # empty: the default VPC
  if [[ -n $subnet ]]; then
    vpc=$(gpa_aws ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[0].VpcId' --output text)
  fi

  gpa_ensure_key "$key"
  gpa_ensure_sg "gpuprobe-aws-$owner-$GPC_NAME" "$vpc" "$my_ip" "$GPA_UP_JUPYTER"

  local expires ud tags market=() subnet_opt=() launched
  expires=$(gpc_iso_in_minutes "$minutes")
  ud=$(mktemp)
  cat >"$ud" <<EOF
#!/bin/bash
# gpuprobe-aws: end this instance after --max-hours $max_hours even if it is forgotten.
# The shutdown behaviour is 'terminate', so powering off terminates it.
shutdown -h +$minutes "gpuprobe-aws: --max-hours $max_hours reached, terminating"
EOF
  GPA_UP_TOKEN="$(date +%s)-$$-$RANDOM"
  tags="{Key=project,Value=$GPC_PROJECT_TAG},{Key=owner,Value=$owner},{Key=expires-at,Value=$expires},{Key=gpuprobe-name,Value=$GPC_NAME},{Key=Name,Value=gpuprobe-$GPC_NAME},{Key=gpuprobe-launch,Value=$GPA_UP_TOKEN}"
  local extra
  for extra in ${GPC_EXTRA_TAGS:-}; do
    [[ $extra =~ ^([A-Za-z0-9:._-]+)=([A-Za-z0-9:._@-]*)$ ]] || gpc_die "bad GPUPROBE_AWS_EXTRA_TAGS entry '$extra'"
    tags+=",{Key=${BASH_REMATCH[1]},Value=${BASH_REMATCH[2]}}"
  done
  [[ $GPA_UP_SPOT == 1 ]] && market=(--instance-market-options 'MarketType=spot,SpotOptions={SpotInstanceType=one-time,InstanceInterruptionBehavior=terminate}')
  [[ -n $subnet ]] && subnet_opt=(--subnet-id "$subnet")

  gpc_say "launching $type in $GPC_REGION (max $max_hours h, expires $expires)"
  GPA_UP_LAUNCHING=1
  launched=$(gpa_aws ec2 run-instances --image-id "$ami" --instance-type "$type" --count 1 \
    --key-name "$key" --security-group-ids "$GPA_SG_ID" "${subnet_opt[@]}" "${market[@]}" \
    --metadata-options HttpTokens=required,HttpEndpoint=enabled,HttpPutResponseHopLimit=2 \
    --instance-initiated-shutdown-behavior terminate \
    --user-data "file://$ud" \
    --tag-specifications "ResourceType=instance,Tags=[$tags]" \
    --query 'Instances[0].InstanceId' --output text) || { rm -f "$ud"; gpc_die "run-instances failed"; }
  rm -f "$ud"
  GPC_STATE=([INSTANCE_ID]=$launched [REGION]=$GPC_REGION [INSTANCE_TYPE]=$type [AMI]=$ami
    [SSH_USER]=$user [KEY_NAME]=$key [KEY_FILE]=$GPA_KEY_FILE [KEY_CREATED]=$GPA_KEY_CREATED
    [KEY_FILE_CREATED]=$GPA_KEY_FILE_CREATED [SG_ID]=$GPA_SG_ID [SG_CREATED]=$GPA_SG_CREATED [EXPIRES_AT]=$expires [MAX_HOURS]=$max_hours
    [SPOT]=$GPA_UP_SPOT [LAUNCHED_AT]=$(gpc_now_iso))
  gpc_state_save
  gpc_say "launched $launched; waiting until it is running"
  gpc_interruptible gpa_aws ec2 wait instance-running --instance-ids "$launched"
  gpc_say "running; waiting for status checks ok"
  gpc_interruptible gpa_aws ec2 wait instance-status-ok --instance-ids "$launched"
  local desc
  desc=$(gpa_aws ec2 describe-instances --instance-ids "$launched" --output json)
  gpc_state_set PUBLIC_IP "$(jq -r '.Reservations[0].Instances[0].PublicIpAddress // empty' <<<"$desc")"
  gpc_state_set PUBLIC_DNS "$(jq -r '.Reservations[0].Instances[0].PublicDnsName // empty' <<<"$desc")"
  gpc_state_set PRIVATE_IP "$(jq -r '.Reservations[0].Instances[0].PrivateIpAddress // empty' <<<"$desc")"
}

provider_up_abort() {
  local id
  id=$(gpc_state_get INSTANCE_ID)
  if [[ -z $id && ${GPA_UP_LAUNCHING:-0} == 1 ]]; then
    # stopped while run-instances was in flight: find it by this launch's token
    id=$(gpa_aws ec2 describe-instances \
      --filters "Name=tag:gpuprobe-launch,Values=$GPA_UP_TOKEN" "Name=instance-state-name,Values=pending,running" \
      --query 'Reservations[].Instances[].InstanceId' --output text 2>/dev/null | awk '{print $1}') || true
  fi
  if [[ -n $id ]]; then
    gpc_warn "up failed after launch: terminating $id"
  elif [[ ${GPA_SG_CREATED:-0} == 1 || ${GPA_KEY_CREATED:-0} == 1 ]]; then
    gpc_warn "up failed before launch: removing the security group / key pair made for '$GPC_NAME'"
  else
    return 1
  fi
  GPC_STATE=([INSTANCE_ID]=$id [REGION]=$GPC_REGION [KEY_NAME]=${GPA_UP_KEY:-}
    [KEY_FILE]=${GPA_KEY_FILE:-} [KEY_CREATED]=${GPA_KEY_CREATED:-0}
    [KEY_FILE_CREATED]=${GPA_KEY_FILE_CREATED:-0} [SG_ID]=${GPA_SG_ID:-}
    [SG_CREATED]=${GPA_SG_CREATED:-0})
}

# ---- down ----------------------------------------------------------------------
provider_down() {
  local id sg key st i
  id=$(gpc_state_get INSTANCE_ID)
  sg=$(gpc_state_get SG_ID)
  key=$(gpc_state_get KEY_NAME)
  if [[ -n $id ]]; then
    st=$(gpa_aws ec2 describe-instances --instance-ids "$id" --query 'Reservations[0].Instances[0].State.Name' --output text 2>/dev/null || echo not-found)
    if [[ $st != terminated && $st != not-found && $st != None ]]; then
      gpc_say "terminating $id"
      gpa_aws ec2 terminate-instances --instance-ids "$id" --output json >/dev/null
    fi
    if [[ $st != not-found && $st != None ]]; then
      gpa_aws ec2 wait instance-terminated --instance-ids "$id"
      gpc_say "$id terminated"
    else
      gpc_say "$id no longer exists"
    fi
  fi
  if [[ -n $sg && $(gpc_state_get SG_CREATED) == 1 ]] && ! gpc_other_state_uses SG_ID "$sg"; then
    # A group can be deleted only once no instance uses it; termination can lag.
    for ((i = 1; i <= 10; i++)); do
      local out
      if out=$(gpa_aws ec2 delete-security-group --group-id "$sg" 2>&1); then
        gpc_say "deleted security group $sg"
        break
      elif [[ $out == *InvalidGroup.NotFound* ]]; then
        break
      elif [[ $out == *DependencyViolation* && $i -lt 10 ]]; then
        sleep "${GPUPROBE_AWS_SG_RETRY_S:-6}"
      else
        gpc_warn "could not delete security group $sg: $out"
        return 1
      fi
    done
  fi
  if [[ -n $key && $(gpc_state_get KEY_CREATED) == 1 ]] && ! gpc_other_state_uses KEY_NAME "$key"; then
    gpa_aws ec2 delete-key-pair --key-name "$key" >/dev/null 2>&1 || true
    if [[ $(gpc_state_get KEY_FILE_CREATED) == 1 ]]; then
      rm -f "$(gpc_state_get KEY_FILE)"
      gpc_say "deleted key pair $key and its private key"
    else
      gpc_say "deleted key pair $key (kept your key file $(gpc_state_get KEY_FILE))"
    fi
  fi
}

provider_terminate() { # ID...
  gpa_aws ec2 terminate-instances --instance-ids "$@" --output json >/dev/null
  gpa_aws ec2 wait instance-terminated --instance-ids "$@"
}

# ---- list ----------------------------------------------------------------------
provider_list() { # [TAG=VALUE]
  local -a filters=("Name=tag:project,Values=$GPC_PROJECT_TAG")
  [[ -n ${1:-} ]] && filters+=("Name=tag:${1%%=*},Values=${1#*=}")
  gpa_aws ec2 describe-instances --output json --filters "${filters[@]}" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped,shutting-down" |
    jq -c '[.Reservations[].Instances[]
      | ((.Tags // []) | map({key: .Key, value: .Value}) | from_entries) as $tags
      | {id: .InstanceId, type: .InstanceType, state: .State.Name, launched: .LaunchTime,
         expires_at: ($tags["expires-at"] // null), owner: ($tags.owner // null),
         name: ($tags["gpuprobe-name"] // null), address: (.PublicIpAddress // null)}]'
}

provider_status() { # ID
  local desc
  desc=$(gpa_aws ec2 describe-instances --instance-ids "$1" --output json 2>/dev/null) || desc='{}'
  jq -c '.Reservations[0].Instances[0] // {} | {state: .State.Name, launched: .LaunchTime}' <<<"$desc"
}

provider_status_lines() {
  echo "group:     $(gpc_state_get SG_ID)"
  echo "key:       $(gpc_state_get KEY_NAME) ($(gpc_state_get KEY_FILE))"
}

# ---- price ---------------------------------------------------------------------
# The on-demand price per hour of TYPE from the local gpuprobe's catalog
# (`gpuprobe instances --json`: {"instances": [{"instance_type", "price_per_hour", ...}]}).
provider_price() {
  local gp
  gp=$(gpc_local_gpuprobe) || return 0
  "$gp" instances --json 2>/dev/null |
    jq -r --arg t "$1" '.instances[] | select(.instance_type == $t) | .price_per_hour // empty' 2>/dev/null |
    head -n1 || true
}

# ---- sweep ---------------------------------------------------------------------
provider_help_sweep() {
  cat <<'EOF'
Usage: gpuprobe-aws sweep --types g4dn.xlarge,g5.xlarge,g6.xlarge [--parallel 2]
                          [--out DIR] [--region R] [--max-hours 2] [--spot]
                          [--ami ID | --ami-param NAME] [--key NAME]
                          [--repo DIR] [--source auto|git|tree]

For each instance type: up -> check (gpuprobe check + bench --suite smoke on the
instance) -> fetch the reports -> down, at most --parallel types at a time
(default 2). Every instance is terminated whatever happens: each step runs its
own down, and on exit (also on failure or Ctrl-C) the sweep downs whatever is
still recorded and terminates any instance tagged with this sweep's id.
Then runs an N-way `gpuprobe compare --label TYPE,... REPORT...` over the
per-type reports (perf per dollar from gpuprobe's own price catalog), or lists
the reports when there is no local gpuprobe.
Per-type logs and reports go to --out (default STATE_DIR/sweeps/ID).
Exit status 0 only when every type completed (up, check, down).
EOF
}

GPA_SWEEP_USER_KEY="" GPA_SWEEP_KEY="" GPA_SWEEP_KEY_FILE=""

provider_sweep_opt() {
  GPC_SHIFT=0
  case $1 in
    --spot) GPC_SWEEP_UP_ARGS+=(--spot); GPC_SHIFT=1 ;;
    --ami | --ami-param) gpc_need_arg "$@"; GPC_SWEEP_UP_ARGS+=("$1" "$2"); GPC_SHIFT=2 ;;
    --key) gpc_need_arg "$@"; GPA_SWEEP_USER_KEY=$2; GPC_SHIFT=2 ;;
  esac
  return 0
}

# One key pair for the whole sweep (unless --key), made here so parallel ups
# do not race for it.
provider_sweep_begin() { # SWEEP_ID
  local key=$GPA_SWEEP_USER_KEY saved_name=$GPC_NAME
  if [[ -z $key ]]; then
    gpc_state_init_dirs
    GPC_NAME=$1
    key="gpuprobe-aws-$(gpc_owner)-$1"
    gpa_ensure_key "$key"
    GPC_NAME=$saved_name
    GPA_SWEEP_KEY=$key GPA_SWEEP_KEY_FILE=$GPA_KEY_FILE
  fi
  GPC_SWEEP_UP_ARGS+=(--key "$key")
}

provider_sweep_end() {
  if [[ -n $GPA_SWEEP_KEY ]]; then
    gpa_aws ec2 delete-key-pair --key-name "$GPA_SWEEP_KEY" >/dev/null 2>&1 || true
    rm -f "$GPA_SWEEP_KEY_FILE"
    gpc_say "deleted the sweep key pair $GPA_SWEEP_KEY"
  fi
}

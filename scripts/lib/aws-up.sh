# shellcheck shell=bash
# gpuprobe-aws up: launch a GPU instance safely (see gpa_help_up).

gpa_help_up() {
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

# Key pair: reuse when AWS has it and we hold the private key; import our
# local key when only the file exists; else create (ed25519) and store 0600.
gpa_ensure_key() { # NAME -> sets GPA_KEY_FILE, GPA_KEY_CREATED (the key pair is ours), GPA_KEY_FILE_CREATED
  local name=$1 file material in_aws=0 owned=0 tags
  file="$GPA_STATE_DIR/keys/$name.pem"
  GPA_KEY_FILE=$file GPA_KEY_CREATED=0 GPA_KEY_FILE_CREATED=0
  if tags=$(gpa_aws ec2 describe-key-pairs --key-names "$name" --output json 2>/dev/null); then
    in_aws=1
    if jq -e --arg n "$GPA_NAME" '.KeyPairs[0].Tags // [] | any(.Key == "gpuprobe-name" and .Value == $n)' <<<"$tags" >/dev/null; then
      owned=1
    fi
  fi
  if [[ $in_aws == 1 ]]; then
    [[ -f $file ]] || gpa_die "key pair '$name' exists in $GPA_REGION but its private key is not in $file; pass --key with another name or delete that key pair"
    chmod 600 "$file"
    GPA_KEY_CREATED=$owned
    # the private key file is ours to delete only if AWS generated it for us
    if [[ $owned == 1 ]] && jq -e '.KeyPairs[0].Tags // [] | any(.Key == "gpuprobe-key-origin" and .Value == "created")' <<<"$tags" >/dev/null; then
      GPA_KEY_FILE_CREATED=1
    fi
    gpa_say "reusing key pair $name ($file)"
    return 0
  fi
  local tagspec owner
  owner=$(gpa_owner)
  tagspec="ResourceType=key-pair,Tags=[{Key=project,Value=$GPA_PROJECT_TAG},{Key=owner,Value=$owner},{Key=gpuprobe-name,Value=$GPA_NAME}]"
  if [[ -f $file ]]; then
    chmod 600 "$file"
    local pub
    pub=$(mktemp)
    ssh-keygen -y -f "$file" >"$pub"
    gpa_aws ec2 import-key-pair --key-name "$name" --public-key-material "fileb://$pub" \
      --tag-specifications "${tagspec%]},{Key=gpuprobe-key-origin,Value=imported}]" --output json >/dev/null
    rm -f "$pub"
    gpa_say "imported $file as key pair $name"
  else
    material=$(gpa_aws ec2 create-key-pair --key-name "$name" --key-type ed25519 \
      --tag-specifications "${tagspec%]},{Key=gpuprobe-key-origin,Value=created}]" --query KeyMaterial --output text)
    (umask 077 && printf '%s\n' "$material" >"$file")
    chmod 600 "$file"
    GPA_KEY_FILE_CREATED=1
    gpa_say "created key pair $name, private key $file (mode 0600)"
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
    gpa_die "several security groups are named $sgname (one per VPC?): pass --subnet to pick the VPC"
  GPA_SG_ID=$(jq -r '.SecurityGroups[0].GroupId // empty' <<<"$js")
  if [[ -z $GPA_SG_ID ]]; then
    GPA_SG_ID=$(gpa_aws ec2 create-security-group --group-name "$sgname" "${vpco[@]}" \
      --description "gpuprobe-aws $GPA_NAME: ssh from the owner's address only" \
      --tag-specifications "ResourceType=security-group,Tags=[{Key=project,Value=$GPA_PROJECT_TAG},{Key=owner,Value=$(gpa_owner)},{Key=gpuprobe-name,Value=$GPA_NAME}]" \
      --query GroupId --output text)
    GPA_SG_CREATED=1
    gpa_say "created security group $sgname ($GPA_SG_ID)"
    js='{"SecurityGroups":[{"IpPermissions":[]}]}' # a new group has no ingress rule
  else
    if jq -e --arg n "$GPA_NAME" '.SecurityGroups[0].Tags // [] | any(.Key == "gpuprobe-name" and .Value == $n)' <<<"$js" >/dev/null; then
      GPA_SG_CREATED=1
    fi
    gpa_say "reusing security group $sgname ($GPA_SG_ID)"
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
    gpa_say "revoking $(jq length <<<"$revoke") stale ingress rule(s) from $GPA_SG_ID"
    gpa_aws ec2 revoke-security-group-ingress --group-id "$GPA_SG_ID" --ip-permissions "$revoke" --output json >/dev/null
  fi
  add=$(jq -c --argjson want "$desired" '
    [(.SecurityGroups[0].IpPermissions // []) as $have
     | $want[] | . as $w
     | select($have | any(.IpProtocol == "tcp" and .FromPort == $w.p and .ToPort == $w.p and ((.IpRanges // []) | any(.CidrIp == $w.c))) | not)
     | {IpProtocol: "tcp", FromPort: .p, ToPort: .p, IpRanges: [{CidrIp: .c, Description: .d}]}]' <<<"$js")
  if [[ $add != "[]" ]]; then
    gpa_aws ec2 authorize-security-group-ingress --group-id "$GPA_SG_ID" --ip-permissions "$add" --output json >/dev/null
    gpa_say "allowed $(jq -r 'map("\(.FromPort)/tcp from \(.IpRanges[0].CidrIp)") | join(", ")' <<<"$add") in $GPA_SG_ID"
  fi
}

# Cleanup for a failed up: terminate what we launched, then our SG and key.
gpa_up_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  gpa_kill_bg
  [[ ${GPA_UP_DONE:-0} == 1 ]] && return "$rc"
  [[ $rc == 0 ]] && rc=1
  if [[ -n ${GPA_UP_INSTANCE:-} && ${GPA_UP_KEEP:-0} == 1 ]]; then
    gpa_warn "up failed; --keep-on-failure: instance $GPA_UP_INSTANCE left running (gpuprobe-aws down --name $GPA_NAME ends it)"
    exit "$rc"
  fi
  if [[ -z ${GPA_UP_INSTANCE:-} && ${GPA_UP_LAUNCHING:-0} == 1 ]]; then
    # stopped while run-instances was in flight: find it by this launch's token
    GPA_UP_INSTANCE=$(gpa_aws ec2 describe-instances \
      --filters "Name=tag:gpuprobe-launch,Values=$GPA_UP_TOKEN" "Name=instance-state-name,Values=pending,running" \
      --query 'Reservations[].Instances[].InstanceId' --output text 2>/dev/null | awk '{print $1}') || true
  fi
  if [[ -n ${GPA_UP_INSTANCE:-} ]]; then
    gpa_warn "up failed after launch: terminating $GPA_UP_INSTANCE"
  elif [[ ${GPA_SG_CREATED:-0} == 1 || ${GPA_KEY_CREATED:-0} == 1 ]]; then
    gpa_warn "up failed before launch: removing the security group / key pair made for '$GPA_NAME'"
  else
    exit "$rc"
  fi
  # shellcheck disable=SC2034 # read by gpa_down_current
  GPA_STATE=([INSTANCE_ID]=${GPA_UP_INSTANCE:-} [REGION]=$GPA_REGION [KEY_NAME]=${GPA_UP_KEY:-}
    [KEY_FILE]=${GPA_KEY_FILE:-} [KEY_CREATED]=${GPA_KEY_CREATED:-0}
    [KEY_FILE_CREATED]=${GPA_KEY_FILE_CREATED:-0} [SG_ID]=${GPA_SG_ID:-}
    [SG_CREATED]=${GPA_SG_CREATED:-0})
  GPA_QUIET=0 gpa_down_current ||
    gpa_warn "cleanup incomplete: run 'gpuprobe-aws down --name $GPA_NAME' and check 'gpuprobe-aws list'"
  exit "$rc"
}

cmd_up() {
  local type=g5.xlarge ami="" ami_param=$GPA_DEFAULT_AMI_PARAM key="" max_hours=4 spot=0 jup=0
  local subnet="" user=ubuntu
  GPA_UP_KEEP=0
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_up; return 0 ;;
      --type) gpa_need_arg "$@"; type=$2; shift 2 ;;
      --ami) gpa_need_arg "$@"; ami=$2; shift 2 ;;
      --ami-param) gpa_need_arg "$@"; ami_param=$2; shift 2 ;;
      --key) gpa_need_arg "$@"; key=$2; shift 2 ;;
      --max-hours) gpa_need_arg "$@"; max_hours=$2; shift 2 ;;
      --spot) spot=1; shift ;;
      --open-jupyter-port) jup=1; shift ;;
      --subnet) gpa_need_arg "$@"; subnet=$2; shift 2 ;;
      --user) gpa_need_arg "$@"; user=$2; shift 2 ;;
      --keep-on-failure) GPA_UP_KEEP=1; shift ;;
      *) gpa_die "up: unknown argument '$1' (see gpuprobe-aws up --help)" ;;
    esac
  done
  [[ $type =~ ^[a-z][a-z0-9-]*\.[a-z0-9]+$ ]] || gpa_die "--type '$type' does not look like an instance type"
  [[ $max_hours =~ ^[0-9]+([.][0-9]+)?$ ]] || gpa_die "--max-hours must be a positive number of hours"
  local minutes
  minutes=$(awk -v h="$max_hours" 'BEGIN { m = int(h * 60 + 0.5); print m }')
  [[ $minutes -ge 1 ]] || gpa_die "--max-hours must be at least one minute"
  gpa_require jq ssh-keygen
  gpa_state_init_dirs

  # An instance already recorded under this name and alive: report it, do nothing.
  if gpa_state_load "$GPA_NAME"; then
    gpa_resolve_region "$(gpa_state_get REGION)"
    local cur st
    cur=$(gpa_state_get INSTANCE_ID)
    st=$(gpa_aws ec2 describe-instances --instance-ids "$cur" --query 'Reservations[0].Instances[0].State.Name' --output text 2>/dev/null || true)
    if [[ $st == pending || $st == running ]]; then
      gpa_say "'$GPA_NAME' is already up: $cur ($st); 'gpuprobe-aws down$(gpa_name_opt)' ends it"
      gpa_print_connect
      return 0
    fi
    if [[ $st == stopping || $st == stopped ]]; then
      gpa_die "'$GPA_NAME' is $cur, $st (stopped by hand?): start it again, or end it with 'gpuprobe-aws down$(gpa_name_opt)'"
    fi
    gpa_say "previous instance $cur of '$GPA_NAME' is ${st:-gone}; launching a new one"
    gpa_state_remove
    GPA_STATE=()
  fi
  gpa_resolve_region

  local my_ip owner vpc
  my_ip=$(gpa_my_ip)
  owner=$(gpa_owner)
  [[ -n $key ]] || key="gpuprobe-aws-$owner-$GPA_NAME"
  if [[ -z $ami ]]; then
    ami=$(gpa_aws ssm get-parameter --name "$ami_param" --query Parameter.Value --output text) ||
      gpa_die "cannot resolve the AMI from SSM parameter $ami_param (pass --ami ID)"
    gpa_say "AMI $ami (from $ami_param)"
  fi
  [[ $ami =~ ^ami-[0-9a-f]+$ ]] || gpa_die "'$ami' is not an AMI id"

  vpc="" # empty: the default VPC
  if [[ -n $subnet ]]; then
    vpc=$(gpa_aws ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[0].VpcId' --output text)
  fi

  GPA_UP_KEY=$key GPA_UP_INSTANCE="" GPA_UP_DONE=0
  trap gpa_up_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  gpa_ensure_key "$key"
  gpa_ensure_sg "gpuprobe-aws-$owner-$GPA_NAME" "$vpc" "$my_ip" "$jup"

  local expires ud tags market=() subnet_opt=() launched
  expires=$(gpa_iso_in_minutes "$minutes")
  ud=$(mktemp)
  cat >"$ud" <<EOF
#!/bin/bash
# gpuprobe-aws: end this instance after --max-hours $max_hours even if it is forgotten.
# The shutdown behaviour is 'terminate', so powering off terminates it.
shutdown -h +$minutes "gpuprobe-aws: --max-hours $max_hours reached, terminating"
EOF
  GPA_UP_TOKEN="$(date +%s)-$$-$RANDOM"
  tags="{Key=project,Value=$GPA_PROJECT_TAG},{Key=owner,Value=$owner},{Key=expires-at,Value=$expires},{Key=gpuprobe-name,Value=$GPA_NAME},{Key=Name,Value=gpuprobe-$GPA_NAME},{Key=gpuprobe-launch,Value=$GPA_UP_TOKEN}"
  local extra
  for extra in ${GPUPROBE_AWS_EXTRA_TAGS:-}; do
    [[ $extra =~ ^([A-Za-z0-9:._-]+)=([A-Za-z0-9:._@-]*)$ ]] || gpa_die "bad GPUPROBE_AWS_EXTRA_TAGS entry '$extra'"
    tags+=",{Key=${BASH_REMATCH[1]},Value=${BASH_REMATCH[2]}}"
  done
  [[ $spot == 1 ]] && market=(--instance-market-options 'MarketType=spot,SpotOptions={SpotInstanceType=one-time,InstanceInterruptionBehavior=terminate}')
  [[ -n $subnet ]] && subnet_opt=(--subnet-id "$subnet")

  gpa_say "launching $type in $GPA_REGION (max $max_hours h, expires $expires)"
  GPA_UP_LAUNCHING=1
  launched=$(gpa_aws ec2 run-instances --image-id "$ami" --instance-type "$type" --count 1 \
    --key-name "$key" --security-group-ids "$GPA_SG_ID" "${subnet_opt[@]}" "${market[@]}" \
    --metadata-options HttpTokens=required,HttpEndpoint=enabled,HttpPutResponseHopLimit=2 \
    --instance-initiated-shutdown-behavior terminate \
    --user-data "file://$ud" \
    --tag-specifications "ResourceType=instance,Tags=[$tags]" \
    --query 'Instances[0].InstanceId' --output text) || { rm -f "$ud"; gpa_die "run-instances failed"; }
  rm -f "$ud"
  GPA_UP_INSTANCE=$launched
  # Recorded before waiting, so `down` and `list` know it even if we are killed.
  # shellcheck disable=SC2034,SC2153 # GPA_STATE (associative) is read by gpa_state_save
  GPA_STATE=([INSTANCE_ID]=$launched [REGION]=$GPA_REGION [INSTANCE_TYPE]=$type [AMI]=$ami
    [SSH_USER]=$user [KEY_NAME]=$key [KEY_FILE]=$GPA_KEY_FILE [KEY_CREATED]=$GPA_KEY_CREATED
    [KEY_FILE_CREATED]=$GPA_KEY_FILE_CREATED [SG_ID]=$GPA_SG_ID [SG_CREATED]=$GPA_SG_CREATED [EXPIRES_AT]=$expires [MAX_HOURS]=$max_hours
    [SPOT]=$spot [LAUNCHED_AT]=$(gpa_now_iso))
  gpa_state_save
  gpa_say "launched $launched; waiting until it is running"
  gpa_interruptible gpa_aws ec2 wait instance-running --instance-ids "$launched"
  gpa_say "running; waiting for status checks ok"
  gpa_interruptible gpa_aws ec2 wait instance-status-ok --instance-ids "$launched"
  local desc
  desc=$(gpa_aws ec2 describe-instances --instance-ids "$launched" --output json)
  gpa_state_set PUBLIC_IP "$(jq -r '.Reservations[0].Instances[0].PublicIpAddress // empty' <<<"$desc")"
  gpa_state_set PUBLIC_DNS "$(jq -r '.Reservations[0].Instances[0].PublicDnsName // empty' <<<"$desc")"
  gpa_state_set PRIVATE_IP "$(jq -r '.Reservations[0].Instances[0].PrivateIpAddress // empty' <<<"$desc")"
  gpa_state_set PRICE_PER_HOUR "$(gpa_price_for_type "$type")"
  gpa_state_save
  GPA_UP_DONE=1
  trap - EXIT INT TERM
  gpa_say "$launched is up (status ok)"
  gpa_print_connect
}

gpa_print_connect() {
  local price ip
  price=$(gpa_state_get PRICE_PER_HOUR)
  ip=$(gpa_state_get PUBLIC_IP)
  echo "instance:  $(gpa_state_get INSTANCE_ID) ($(gpa_state_get INSTANCE_TYPE), $(gpa_state_get REGION))"
  echo "address:   ${ip:-none (no public IP)}"
  echo "expires:   $(gpa_state_get EXPIRES_AT) (powers off and terminates itself)"
  if [[ -n $price ]]; then
    echo "price:     \$$price per hour (on demand, from gpuprobe instances)"
  else
    echo "price:     unknown (the local gpuprobe has no 'instances' catalog)"
  fi
  echo "ssh:       gpuprobe-aws ssh$(gpa_name_opt)"
  if [[ -n $ip ]]; then
    echo "           ssh -i $(gpa_state_get KEY_FILE) $(gpa_state_get SSH_USER)@$ip"
  fi
}

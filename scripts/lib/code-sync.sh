# shellcheck shell=bash
# Sends the code of a local repository to the instance, into REMOTE_DIR/src:
# by `git clone` of its remote at the local commit, or as a tar stream of the
# working tree over ssh. Used by `check` and `jupyter`.

# Sends the code to the instance. Sets nothing; dies on failure.
gpc_sync_code() { # REPO SOURCE REMOTE_DIR GIT_REMOTE
  local repo=$1 source=$2 rdir=$3 gremote=$4 url commit
  if [[ $source == auto ]]; then
    source=tree
    if git -C "$repo" rev-parse --verify -q HEAD >/dev/null 2>&1 &&
      url=$(git -C "$repo" remote get-url "$gremote" 2>/dev/null) &&
      [[ -z $(git -C "$repo" status --porcelain 2>/dev/null) ]] &&
      [[ -n $(git -C "$repo" branch -r --contains HEAD 2>/dev/null) ]]; then
      source=git
    fi
  fi
  case $source in
    git)
      commit=$(git -C "$repo" rev-parse HEAD) || gpc_die "$repo has no commit"
      url=$(git -C "$repo" remote get-url "$gremote") || gpc_die "$repo has no remote '$gremote'"
      [[ -n $(git -C "$repo" status --porcelain) ]] && gpc_warn "uncommitted changes in $repo are not included (--source tree sends them)"
      [[ -n $(git -C "$repo" branch -r --contains HEAD 2>/dev/null) ]] ||
        gpc_warn "commit ${commit:0:12} is on no remote-tracking branch; the clone may not have it (push it, or --source tree)"
      gpc_say "remote: git clone $url at ${commit:0:12}"
      # shellcheck disable=SC2016 # expanded remotely
      gpc_ssh_script 'set -eu; cd; d=$1; case $d in /*) ;; *) d=$HOME/$d ;; esac
        mkdir -p "$d"
        if [ -d "$d/src/.git" ]; then git -C "$d/src" remote set-url origin "$2" && git -C "$d/src" fetch -q origin
        else rm -rf "$d/src" && git clone -q "$2" "$d/src"; fi
        git -C "$d/src" checkout -q --detach "$3"' "$rdir" "$url" "$commit" >&2 </dev/null ||
        gpc_die "could not clone $url at $commit on the instance"
      ;;
    tree)
      gpc_say "remote: sending the working tree of $repo"
      local -a files=()
      local f
      if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
        while IFS= read -r -d '' f; do
          [[ $f == build/* || ! -e $repo/$f ]] && continue
          files+=("$f")
        done < <(git -C "$repo" ls-files -z --cached --others --exclude-standard)
      else
        while IFS= read -r -d '' f; do
          f=${f#./}
          files+=("$f")
        done < <(cd "$repo" && find . -type f -not -path './.git/*' -not -path './build/*' -print0)
      fi
      [[ ${#files[@]} -gt 0 ]] || gpc_die "nothing to send from $repo"
      # shellcheck disable=SC2016 # expanded remotely
      printf '%s\0' "${files[@]}" | (cd "$repo" && tar --null -T - -czf -) |
        gpc_ssh_script 'set -e; cd; d=$1; case $d in /*) ;; *) d=$HOME/$d ;; esac
          rm -rf "$d/src"; mkdir -p "$d/src"; tar -xzf - -C "$d/src"' "$rdir" ||
        gpc_die "could not send the working tree"
      ;;
    *) gpc_die "--source must be auto, git or tree" ;;
  esac
}

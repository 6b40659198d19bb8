/** `fab completion`: bash/zsh completion of flags and of the current fabfile's task names. */
export function completionScript(): string {
  return `###-begin-fab-completions-###
# fab completion: source this from ~/.bashrc or ~/.zshrc (fab completion >> ~/.bashrc)
_fab_completions() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$(fab --help 2>/dev/null | grep -oE -- '--[a-z-]+' | sort -u)" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$(fab -l 2>/dev/null | awk 'NR>2 && $1 !~ /:$/ {print $1}')" -- "$cur") )
  fi
}
if [[ -n "\${ZSH_VERSION:-}" ]]; then autoload -U +X bashcompinit && bashcompinit; fi
complete -F _fab_completions fab
###-end-fab-completions-###
`;
}

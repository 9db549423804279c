# Sourced by bin/starling and .ci/run: exports JAVA_HOME (and PATH) for a JDK >= 21.
# Order: $JAVA_HOME, the java on PATH, then the newest JDK under /usr/lib/jvm. A JDK that is new enough
# already is kept as it is, so machines whose default is 21+ are untouched.

starling_java_major() {
  # Prints the major version of the java binary $1 (8 for 1.8), or 0 if it cannot run.
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}') || true
  case "$v" in
    1.*) echo "${v#1.}" ;;
    "") echo 0 ;;
    *) echo "${v%%.*}" ;;
  esac
}

starling_select_jdk() {
  local min=21 cand best="" best_major=0 major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(starling_java_major "$JAVA_HOME/bin/java")" -ge $min ]; then
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    cand=$(command -v java)
    if [ "$(starling_java_major "$cand")" -ge $min ]; then
      export JAVA_HOME
      JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$cand")")")
      return 0
    fi
  fi
  for cand in /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /opt/*/bin/java; do
    [ -x "$cand" ] || continue
    major=$(starling_java_major "$cand")
    if [ "$major" -ge $min ] && [ "$major" -gt "$best_major" ]; then
      best=$cand
      best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "starling: needs a JDK >= $min; none found (checked JAVA_HOME, PATH, /usr/lib/jvm). Install one or set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$best")")")
  export PATH="$JAVA_HOME/bin:$PATH"
}

starling_select_jdk || return 1 2>/dev/null || exit 1
# Maven 3.9 loads Guice, which calls sun.misc.Unsafe; JDK 24+ warns about it on every build unless allowed.
if [ "$(starling_java_major "$JAVA_HOME/bin/java")" -ge 24 ]; then
  case "${MAVEN_OPTS:-}" in
    *sun-misc-unsafe-memory-access*) ;;
    *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
  esac
fi

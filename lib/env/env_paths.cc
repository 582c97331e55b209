#include "env/env_paths.h"

#include <algorithm>

#include "core/file_io.h"

namespace jlcache {
namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void PushUnique(std::vector<std::string>& v, std::string s) {
  if (!Contains(v, s)) v.push_back(std::move(s));
}

// eachsplit(str, ':'): keeps empty pieces, including leading and trailing.
std::vector<std::string_view> SplitColon(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(':', start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

constexpr std::string_view kDefaultLoadPath[] = {"@", "@v#.#", "@stdlib"};

}  // namespace

std::string ExpandUserWith(std::string_view path, std::string_view home) {
  if (path.empty() || path.front() != '~') return std::string(path);
  if (path.size() == 1 || path[1] == '/') return std::string(home) + std::string(path.substr(1));
  return std::string(path);
}

std::string AbsPathFrom(std::string_view cwd, std::string_view path) {
  if (!path.empty() && path.front() == '/') return NormPath(path);
  return NormPath(JoinPath(cwd, path));
}

bool IsProjectName(std::string_view basename) {
  return basename == kProjectNames[0] || basename == kProjectNames[1];
}

bool IsFileCaseSensitive(const FileAccess& files, const std::string& path) {
  auto st = files.StatIfExists(path);
  return st.ok() && st->has_value() && (*st)->is_file;
}

std::vector<std::string> BundledDepots(std::string_view bindir) {
  // abspath(Sys.BINDIR, "..", "local", "share", "julia") and
  // abspath(Sys.BINDIR, Base.DATAROOTDIR, "julia") with DATAROOTDIR "../share".
  return {NormPath(JoinPath(bindir, "../local/share/julia")),
          NormPath(JoinPath(bindir, "../share/julia"))};
}

std::vector<std::string> InitDepotPath(const JuliaRules& rules,
                                       const std::optional<std::string>& julia_depot_path,
                                       std::string_view home, std::string_view bindir) {
  std::vector<std::string> depots;
  const std::string home_depot = JoinPath(home, ".julia");
  const std::vector<std::string> bundled = BundledDepots(bindir);
  if (!julia_depot_path) {
    depots.push_back(home_depot);
    for (const auto& b : bundled) PushUnique(depots, b);
    return depots;
  }
  const std::string& str = *julia_depot_path;
  if (str.empty()) return depots;  // explicitly no depot
  bool any_nonempty = false;
  bool first_nonempty = false;
  std::vector<std::string_view> parts = SplitColon(str);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part.empty()) {
      if (rules.depot_empty_rule == DepotEmptyEntryRule::kV110) PushUnique(depots, home_depot);
      for (const auto& b : bundled) PushUnique(depots, b);
    } else {
      PushUnique(depots, ExpandUserWith(part, home));
      any_nonempty = true;
      if (i == 0) first_nonempty = true;
    }
  }
  switch (rules.depot_empty_rule) {
    case DepotEmptyEntryRule::kV110:
      break;
    case DepotEmptyEntryRule::kV111Early:  // julia#51448
      if (!any_nonempty) depots.insert(depots.begin(), home_depot);
      break;
    case DepotEmptyEntryRule::kV1112:  // julia#56195
      if (!first_nonempty) depots.insert(depots.begin(), home_depot);
      break;
  }
  return depots;
}

std::optional<std::string> CurrentProject(const FileAccess& files, std::string_view start,
                                          std::string_view home) {
  std::string dir(start);
  for (;;) {
    for (std::string_view proj : kProjectNames) {
      std::string file = JoinPath(dir, proj);
      if (IsFileCaseSensitive(files, file)) return file;
    }
    if (dir == home) break;
    std::string parent = DirName(dir);
    if (parent == dir || parent.empty()) break;
    dir = std::move(parent);
  }
  return std::nullopt;
}

std::vector<std::string> InitLoadPath(const std::optional<std::string>& julia_load_path,
                                      std::string_view cwd, std::string_view home) {
  std::vector<std::string> paths;
  if (!julia_load_path) {
    // DEFAULT_LOAD_PATH has no "@." entry, so nothing to expand here.
    for (std::string_view e : kDefaultLoadPath) paths.emplace_back(e);
    return paths;
  }
  const std::string& str = *julia_load_path;
  if (str.empty()) return paths;
  for (std::string_view env : SplitColon(str)) {
    if (env.empty()) {
      for (std::string_view d : kDefaultLoadPath) PushUnique(paths, std::string(d));
      continue;
    }
    std::string e(env);
    if (e == "@.") {
      auto cp = CurrentProject(cwd, home);
      if (!cp) continue;
      e = *cp;
    }
    PushUnique(paths, ExpandUserWith(e, home));
  }
  return paths;
}

}  // namespace jlcache

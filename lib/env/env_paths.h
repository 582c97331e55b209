// Startup state of a Julia process, computed from injected inputs:
// DEPOT_PATH (init_depot_path), LOAD_PATH (init_load_path / parse_load_path)
// and path helpers with Julia's semantics (expanduser, abspath, dirname).
// base/initdefs.jl; docs/loading.md §1-§2 cite the commits.
#pragma once

#include "core/file_io.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/julia_rules.h"

namespace jlcache {

// "~" / "~/x" expanded with `home` (Julia's expanduser; "~user" is left alone).
std::string ExpandUserWith(std::string_view path, std::string_view home);
// Julia's abspath relative to `cwd`: normpath(joinpath(cwd, path)).
std::string AbsPathFrom(std::string_view cwd, std::string_view path);

// The two bundled depots: <bindir>/../local/share/julia and
// <bindir>/../share/julia (normalized).
std::vector<std::string> BundledDepots(std::string_view bindir);

// init_depot_path(). `julia_depot_path` is ENV["JULIA_DEPOT_PATH"] if set.
std::vector<std::string> InitDepotPath(const JuliaRules& rules,
                                       const std::optional<std::string>& julia_depot_path,
                                       std::string_view home, std::string_view bindir);

// current_project(dir): JuliaProject.toml / Project.toml in dir and its
// parents, stopping after `home` or at the root. nullopt when none.
// Errors while probing are treated as "no file" (isfile_casesensitive).
std::optional<std::string> CurrentProject(const FileAccess& files, std::string_view dir,
                                          std::string_view home);
inline std::optional<std::string> CurrentProject(std::string_view dir, std::string_view home) {
  return CurrentProject(FileAccess(), dir, home);  // outside any query: the no-query overload
}

// init_load_path(): `julia_load_path` is ENV["JULIA_LOAD_PATH"] if set.
// "@." entries are expanded here with CurrentProject(cwd) and dropped when
// nothing is found, as Julia does at startup.
std::vector<std::string> InitLoadPath(const std::optional<std::string>& julia_load_path,
                                      std::string_view cwd, std::string_view home);

inline constexpr std::string_view kProjectNames[] = {"JuliaProject.toml", "Project.toml"};
inline constexpr std::string_view kPreferencesNames[] = {"JuliaLocalPreferences.toml",
                                                          "LocalPreferences.toml"};
bool IsProjectName(std::string_view basename);

// isfile_casesensitive on Linux: a regular file (following symlinks); any
// stat error counts as "no" (Julia's isaccessiblefile).
bool IsFileCaseSensitive(const FileAccess& files, const std::string& path);

}  // namespace jlcache

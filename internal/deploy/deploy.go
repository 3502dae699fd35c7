// Package deploy holds what the packaging scripts need beyond the shell: reading
// host.json, zipping a folder with its file modes, checking that a deployment zip
// has the layout the Functions host expects, and filling in and checking the Teams
// app manifest. scripts/package.sh and scripts/teams-package.sh call it through
// cmd/deploytool; the tests of infra/ and appPackage/ call it directly.
package deploy

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// FunctionName is the pattern of a function folder name: the host takes the name
// of each immediate subfolder of the app root as a function name.
var FunctionName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,127}$`)

// ExecutableName returns host.json's customHandler.description.defaultExecutablePath.
// It must be a plain file name at the app root, which is where the package puts
// the binary.
func ExecutableName(hostJSON []byte) (string, error) {
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
		} `json:"customHandler"`
	}
	if err := json.Unmarshal(hostJSON, &host); err != nil {
		return "", fmt.Errorf("host.json: %w", err)
	}
	name := host.CustomHandler.Description.DefaultExecutablePath
	switch {
	case name == "":
		return "", fmt.Errorf("host.json: customHandler.description.defaultExecutablePath is not set")
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return "", fmt.Errorf("host.json: defaultExecutablePath %q must be a file name at the app root", name)
	}
	return name, nil
}

// CheckFunctionJSON checks that a function.json is a JSON object with at least one
// binding, each with a type, a direction and a name.
func CheckFunctionJSON(raw []byte) error {
	var fj struct {
		Bindings []map[string]any `json:"bindings"`
	}
	if err := json.Unmarshal(raw, &fj); err != nil {
		return err
	}
	if len(fj.Bindings) == 0 {
		return fmt.Errorf("no bindings")
	}
	for i, b := range fj.Bindings {
		for _, k := range []string{"type", "direction", "name"} {
			if s, _ := b[k].(string); s == "" {
				return fmt.Errorf("binding %d has no %s", i, k)
			}
		}
	}
	return nil
}

// zipEpoch is the modification time of every entry, so that the same input gives
// the same zip.
var zipEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ZipDir writes every file and folder under dir into a new zip at dst, paths
// relative to dir, in sorted order, keeping the Unix modes (the handler binary must
// stay executable once unpacked).
func ZipDir(dir, dst string) (err error) {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(out)
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return fmt.Errorf("%s: only files and folders can be packaged", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		h.Modified = zipEpoch
		if info.IsDir() {
			h.Name += "/"
			h.Method = zip.Store
		} else {
			h.Method = zip.Deflate
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if info.IsDir() {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// AppZip describes a deployment zip that passed VerifyAppZip.
type AppZip struct {
	Executable string
	Functions  []string
}

// VerifyAppZip checks that the zip at p is what the Functions host expects at the
// app root: host.json; the binary named as its defaultExecutablePath, executable,
// a Linux amd64 ELF; one folder per function, named by FunctionName, holding a valid
// function.json; and nothing else.
func VerifyAppZip(p string) (*AppZip, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	var problems []string
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, "/")
		if strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, `\`) || path.Clean(name) != name || strings.HasPrefix(name, "../") {
			problems = append(problems, fmt.Sprintf("%s: not a clean relative path", f.Name))
			continue
		}
		files[name] = f
	}
	read := func(name string) ([]byte, error) {
		f, ok := files[name]
		if !ok || f.FileInfo().IsDir() {
			return nil, fmt.Errorf("%s: missing", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}

	hostJSON, err := read("host.json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	exe, err := ExecutableName(hostJSON)
	if err != nil {
		return nil, err
	}
	out := &AppZip{Executable: exe}
	if f, ok := files[exe]; !ok || f.FileInfo().IsDir() {
		problems = append(problems, fmt.Sprintf("%s: missing at the root, though host.json names it", exe))
	} else {
		if f.Mode().Perm()&0o111 == 0 {
			problems = append(problems, fmt.Sprintf("%s: not executable (mode %v)", exe, f.Mode()))
		}
		bin, err := read(exe)
		if err != nil {
			return nil, err
		}
		if e, err := elf.NewFile(bytes.NewReader(bin)); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not an ELF binary: %v", exe, err))
		} else if e.Machine != elf.EM_X86_64 || e.Class != elf.ELFCLASS64 {
			problems = append(problems, fmt.Sprintf("%s: built for %v %v, want linux/amd64", exe, e.Class, e.Machine))
		}
	}

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := files[name]
		dir, base, nested := strings.Cut(name, "/")
		switch {
		case name == "host.json" || name == exe:
		case !nested && f.FileInfo().IsDir():
			if !FunctionName.MatchString(dir) {
				problems = append(problems, fmt.Sprintf("%s/: function folder name does not match %s", dir, FunctionName))
				continue
			}
			raw, err := read(dir + "/function.json")
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s/: no function.json", dir))
				continue
			}
			if err := CheckFunctionJSON(raw); err != nil {
				problems = append(problems, fmt.Sprintf("%s/function.json: %v", dir, err))
				continue
			}
			out.Functions = append(out.Functions, dir)
		case nested && base == "function.json" && !strings.Contains(base, "/"):
			if _, ok := files[dir]; !ok {
				// zip tools may omit folder entries: the file implies the folder.
				if !FunctionName.MatchString(dir) {
					problems = append(problems, fmt.Sprintf("%s/: function folder name does not match %s", dir, FunctionName))
					continue
				}
				raw, _ := read(name)
				if err := CheckFunctionJSON(raw); err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", name, err))
					continue
				}
				out.Functions = append(out.Functions, dir)
			}
		default:
			problems = append(problems, fmt.Sprintf("%s: unexpected in the package", name))
		}
	}
	if len(out.Functions) == 0 {
		problems = append(problems, "no function folder")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s:\n  %s", p, strings.Join(problems, "\n  "))
	}
	return out, nil
}

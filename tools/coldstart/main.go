// Command coldstart measures cold start: from exec of a binary to its first 200
// on /api/health, the moment the Functions host considers a custom handler
// started. It runs each binary -n times and prints the medians and their ratio.
//
//	coldstart -n 20 -env FILE bin/handler bin/barehttp
//
// With -same-env the baseline gets the env file's settings too, so that two
// builds of the handler can be compared in turns (before and after a change):
//
//	coldstart -n 150 -env FILE -same-env bin/handler-after bin/handler-before
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 20, "runs per binary")
	envFile := flag.String("env", "", "KEY=VALUE lines added to the environment of the measured binary")
	sameEnv := flag.Bool("same-env", false, "add the -env lines to the baseline's environment too (two builds of the handler compared)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: coldstart [-n 20] [-env file] <binary> <baseline>")
		os.Exit(2)
	}
	env, baseEnv := os.Environ(), os.Environ()
	if *envFile != "" {
		f, err := os.Open(*envFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				env = append(env, l)
			}
		}
		f.Close()
	}
	if *sameEnv {
		baseEnv = env
	}
	// The two binaries run in turns, so that both see the same machine: on
	// a shared machine, a run of all of one then all of the other measures
	// the load drift as much as the binaries.
	var a, b, ratios, cpuA, cpuB, pfA, pfB []float64
	for i := 0; i < *n; i++ {
		ta, ca, fa, err := once(flag.Arg(0), env)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		tb, cb, fb, err := once(flag.Arg(1), baseEnv)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		a, b, ratios = append(a, ms(ta)), append(b, ms(tb)), append(ratios, float64(ta)/float64(tb))
		cpuA, cpuB = append(cpuA, ms(ca)), append(cpuB, ms(cb))
		pfA, pfB = append(pfA, float64(fa)), append(pfB, float64(fb))
	}
	target := "(target <= 1.5)"
	if *sameEnv {
		target = "(two builds, same settings)"
	}
	fmt.Printf("cold start (exec to first 200, median of %d, in turns): %s %.1f ms, %s %.1f ms, ratio %.2f (median of the %d pairs' ratios %.2f) %s\n",
		*n, flag.Arg(0), median(a), flag.Arg(1), median(b), median(a)/median(b), *n, median(ratios), target)
	fmt.Printf("  CPU used to the first 200 (user + system, median): %s %.1f ms, %s %.1f ms, ratio %.2f\n",
		flag.Arg(0), median(cpuA), flag.Arg(1), median(cpuB), median(cpuA)/median(cpuB))
	fmt.Printf("  minor page faults to the first 200 (median): %s %.0f, %s %.0f\n",
		flag.Arg(0), median(pfA), flag.Arg(1), median(pfB))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// once starts bin, waits for its first 200 on /api/health and stops it. It
// returns the time from exec to that answer, the CPU the process used and
// its minor page faults (the kernel's share of starting a larger binary).
func once(bin string, env []string) (took, cpu time.Duration, faults int64, err error) {
	client := &http.Client{Timeout: time.Second}
	port, err := freePort()
	if err != nil {
		return 0, 0, 0, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(slices.Clone(env), fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port))
	url := fmt.Sprintf("http://127.0.0.1:%d/api/health", port)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	for time.Since(start) < 10*time.Second {
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				took = time.Since(start)
				break
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if took == 0 {
		return 0, 0, 0, fmt.Errorf("%s did not answer within 10s", bin)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		faults = ru.Minflt
	}
	return took, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), faults, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

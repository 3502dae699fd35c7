// Command coldstart measures cold start: from exec of a binary to its first 200
// on /api/health, the moment the Functions host considers a custom handler
// started. It runs each binary -n times and prints the medians and their ratio.
//
//	coldstart -n 20 -env FILE bin/handler bin/barehttp
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
	"time"
)

func main() {
	n := flag.Int("n", 20, "runs per binary")
	envFile := flag.String("env", "", "KEY=VALUE lines added to the environment of the measured binary")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: coldstart [-n 20] [-env file] <binary> <baseline>")
		os.Exit(2)
	}
	env := os.Environ()
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
	a, err := measure(flag.Arg(0), env, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := measure(flag.Arg(1), os.Environ(), *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("cold start (exec to first 200, median of %d): %s %.1f ms, %s %.1f ms, ratio %.2f (target <= 1.5)\n",
		*n, flag.Arg(0), ms(a), flag.Arg(1), ms(b), float64(a)/float64(b))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func measure(bin string, env []string, n int) (time.Duration, error) {
	var runs []time.Duration
	client := &http.Client{Timeout: time.Second}
	for i := 0; i < n; i++ {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		cmd := exec.Command(bin)
		cmd.Env = append(slices.Clone(env), fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port))
		url := fmt.Sprintf("http://127.0.0.1:%d/api/health", port)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		var took time.Duration
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
			return 0, fmt.Errorf("%s did not answer within 10s", bin)
		}
		runs = append(runs, took)
	}
	slices.Sort(runs)
	return runs[len(runs)/2], nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

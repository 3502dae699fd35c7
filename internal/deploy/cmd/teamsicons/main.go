// Command teamsicons draws the Teams app icons of appPackage/: for each app a
// 192x192 color icon (white glyph on the app's accent color) and a 32x32 outline
// icon (the same glyph, white on transparent, as Teams requires). The PNGs are
// committed; run this again only to change them:
//
//	go run ./internal/deploy/cmd/teamsicons appPackage
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// glyph reports whether the cell (x, y) of a 32x32 grid is part of the drawing.
type glyph func(x, y int) bool

func rect(x, y, x0, y0, x1, y1 int) bool { return x >= x0 && x < x1 && y >= y0 && y < y1 }

// frame is a rectangle outline of the given thickness.
func frame(x, y, x0, y0, x1, y1, t int) bool {
	return rect(x, y, x0, y0, x1, y1) && !rect(x, y, x0+t, y0+t, x1-t, y1-t)
}

// calendar: a page with a header band, two binder rings and a 3x3 grid of days.
func calendar(x, y int) bool {
	if frame(x, y, 4, 6, 28, 28, 2) || rect(x, y, 4, 6, 28, 11) {
		return true
	}
	if rect(x, y, 9, 3, 11, 8) || rect(x, y, 21, 3, 23, 8) {
		return true
	}
	for _, cx := range []int{8, 14, 20} {
		for _, cy := range []int{13, 18, 23} {
			if rect(x, y, cx, cy, cx+4, cy+3) {
				return true
			}
		}
	}
	return false
}

// door: a room door in its frame, on a floor line, with a knob.
func door(x, y int) bool {
	return frame(x, y, 9, 4, 23, 28, 2) || rect(x, y, 4, 28, 28, 30) || rect(x, y, 18, 15, 20, 18)
}

type app struct {
	dir    string
	accent color.NRGBA
	glyph  glyph
}

var apps = []app{
	{"calendar-pro", color.NRGBA{0x2B, 0x57, 0x9A, 0xFF}, calendar},
	{"booking-room-pro", color.NRGBA{0x10, 0x7C, 0x41, 0xFF}, door},
}

var white = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}

func colorIcon(a app) image.Image {
	const size, scale, margin = 192, 4, 32 // a 128 px glyph centred on 192 px
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			gx, gy := (x-margin)/scale, (y-margin)/scale
			if x >= margin && y >= margin && gx < 32 && gy < 32 && a.glyph(gx, gy) {
				img.SetNRGBA(x, y, white)
			} else {
				img.SetNRGBA(x, y, a.accent)
			}
		}
	}
	return img
}

func outlineIcon(a app) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32)) // transparent
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			if a.glyph(x, y) {
				img.SetNRGBA(x, y, white)
			}
		}
	}
	return img
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: teamsicons APP_PACKAGE_DIR")
		os.Exit(2)
	}
	for _, a := range apps {
		dir := filepath.Join(os.Args[1], a.dir)
		for name, img := range map[string]image.Image{"color.png": colorIcon(a), "outline.png": outlineIcon(a)} {
			if err := writePNG(filepath.Join(dir, name), img); err != nil {
				fmt.Fprintln(os.Stderr, "teamsicons:", err)
				os.Exit(1)
			}
		}
	}
}

#ifndef BBTUI_CNCURSESW_SHIM_H
#define BBTUI_CNCURSESW_SHIM_H

// Wide-character API (wget_wch, mvwaddnwstr, cchar_t) is only declared with this set.
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <locale.h>
#include <wchar.h>
#include <curses.h>
#include <term.h>
#include <langinfo.h>
#include <sys/ioctl.h>
#include <termios.h>

// Swift cannot import function-like macros; each wrapper below exists only for that reason.

/// A_NORMAL: attribute macro.
static inline attr_t bbtui_a_normal(void) { return A_NORMAL; }
/// A_BOLD: attribute macro.
static inline attr_t bbtui_a_bold(void) { return A_BOLD; }
/// A_DIM: attribute macro.
static inline attr_t bbtui_a_dim(void) { return A_DIM; }
/// A_REVERSE: attribute macro.
static inline attr_t bbtui_a_reverse(void) { return A_REVERSE; }
/// A_UNDERLINE: attribute macro.
static inline attr_t bbtui_a_underline(void) { return A_UNDERLINE; }
/// getmaxy/getmaxx are macros on some builds; one wrapper for both.
static inline void bbtui_getmaxyx(WINDOW *w, int *y, int *x) { int yy, xx; getmaxyx(w, yy, xx); *y = yy; *x = xx; }
/// setcchar builds a cchar_t: the argument list mixes pointers Swift imports awkwardly.
static inline int bbtui_setcchar(cchar_t *cc, const wchar_t *wch, attr_t attrs, short pair) {
    return setcchar(cc, wch, attrs, pair, NULL);
}
/// ESCDELAY is a global whose setter Swift sees only as a var under @preconcurrency.
static inline void bbtui_set_escdelay(int ms) { set_escdelay(ms); }

/// TIOCGWINSZ: ioctl is variadic, which Swift does not import.
static inline int bbtui_window_size(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row; *cols = ws.ws_col;
    return 0;
}
/// TIOCSWINSZ, for tests that resize a pseudo-terminal.
static inline int bbtui_set_window_size(int fd, int rows, int cols) {
    struct winsize ws = {0};
    ws.ws_row = (unsigned short)rows; ws.ws_col = (unsigned short)cols;
    return ioctl(fd, TIOCSWINSZ, &ws);
}
/// The locale's character set name: nl_langinfo(CODESET), CODESET being a macro-backed enum.
static inline const char *bbtui_codeset(void) { return nl_langinfo(CODESET); }

#endif

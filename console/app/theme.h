// Light and dark palettes for the console (issue 14, item 13): a dark FOH
// wants a dark screen. "system" follows the platform: Qt 6.4 has no colour
// scheme query (QStyleHints::colorScheme is Qt 6.5+), so the platform's own
// palette decides — a window colour darker than mid-grey means the system is
// dark (macOS hands Qt the Aqua dark palette when Dark Mode is on; see
// qtbase src/plugins/platforms/cocoa/qcocoatheme.mm, qt_mac_createSystemPalette).
// The rating colours stay the same in both: a red FAIL is red on any screen.
//
// Thread-safety: GUI thread only.
#ifndef QDT_CONSOLE_APP_THEME_H_
#define QDT_CONSOLE_APP_THEME_H_

#include <QPalette>
#include <QString>

namespace qdt::console {

enum class Theme { kSystem, kLight, kDark };

// "system", "light", "dark" (the stored setting and --theme); nullopt otherwise.
std::optional<Theme> ThemeFromName(const QString& name);
QString ThemeName(Theme theme);

// The dark palette (Fusion style's roles, contrast checked by eye on the
// screenshots in build/screenshots/).
QPalette DarkPalette();
// Whether `theme` comes out dark, given the platform's own palette.
bool IsDark(Theme theme, const QPalette& platform);
// Applies it to the whole application (style Fusion for the dark one, whose
// widgets take every palette role; the platform style otherwise).
void ApplyTheme(Theme theme);
// Whether the application's palette now in use is dark.
bool AppIsDark();

}  // namespace qdt::console

#endif  // QDT_CONSOLE_APP_THEME_H_

#include "console/app/theme.h"

#include <QApplication>
#include <QStyle>
#include <QStyleFactory>
#include <optional>

namespace qdt::console {
namespace {

// The platform's palette and style as they were before any theme was
// applied (taken once, at the first ApplyTheme).
struct Platform {
  QPalette palette;
  QString style;
};

const Platform& PlatformDefaults() {
  static const Platform p{QApplication::palette(),
                          QApplication::style() ? QApplication::style()->name() : QString()};
  return p;
}

}  // namespace

std::optional<Theme> ThemeFromName(const QString& name) {
  if (name == "system") return Theme::kSystem;
  if (name == "light") return Theme::kLight;
  if (name == "dark") return Theme::kDark;
  return std::nullopt;
}

QString ThemeName(Theme theme) {
  switch (theme) {
    case Theme::kLight:
      return "light";
    case Theme::kDark:
      return "dark";
    case Theme::kSystem:
      break;
  }
  return "system";
}

QPalette DarkPalette() {
  QPalette p;
  const QColor window(37, 39, 44), base(26, 28, 32), text(225, 228, 232), dim(140, 144, 150);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, QColor(34, 37, 42));
  p.setColor(QPalette::ToolTipBase, QColor(50, 53, 60));
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::PlaceholderText, dim);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, QColor(48, 51, 58));
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, QColor(255, 90, 90));
  p.setColor(QPalette::Light, QColor(70, 74, 82));
  p.setColor(QPalette::Midlight, QColor(58, 61, 68));
  p.setColor(QPalette::Mid, QColor(44, 46, 52));
  p.setColor(QPalette::Dark, QColor(20, 21, 24));
  p.setColor(QPalette::Shadow, Qt::black);
  p.setColor(QPalette::Highlight, QColor(70, 110, 170));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Link, QColor(110, 160, 240));
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) {
    p.setColor(QPalette::Disabled, role, dim);
  }
  return p;
}

bool IsDark(Theme theme, const QPalette& platform) {
  switch (theme) {
    case Theme::kDark:
      return true;
    case Theme::kLight:
      return false;
    case Theme::kSystem:
      break;
  }
  return platform.color(QPalette::Window).lightness() < 128;
}

void ApplyTheme(Theme theme) {
  const Platform& platform = PlatformDefaults();
  if (theme == Theme::kDark) {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QApplication::setPalette(DarkPalette());
    return;
  }
  if (theme == Theme::kLight && IsDark(Theme::kSystem, platform.palette)) {
    // A dark system asked for light: Fusion's own light palette.
    QStyle* fusion = QStyleFactory::create("Fusion");
    QApplication::setStyle(fusion);
    QApplication::setPalette(fusion->standardPalette());
    return;
  }
  // The system's own look (dark or light): the platform's style and palette.
  if (!platform.style.isEmpty()) QApplication::setStyle(QStyleFactory::create(platform.style));
  QApplication::setPalette(platform.palette);
}

bool AppIsDark() { return QApplication::palette().color(QPalette::Window).lightness() < 128; }

}  // namespace qdt::console

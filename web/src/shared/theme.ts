import { teamsDarkTheme, teamsHighContrastTheme, teamsLightTheme, type Theme } from '@fluentui/react-components';

/** The three Teams themes. */
export type ThemeName = 'default' | 'dark' | 'contrast';

/** The theme of a Teams theme name ("default", "dark", "contrast"), light for anything else. */
export function themeFromTeams(t: string | undefined): ThemeName {
  return t === 'dark' || t === 'contrast' ? t : 'default';
}

export function fluentTheme(t: ThemeName): Theme {
  return t === 'dark' ? teamsDarkTheme : t === 'contrast' ? teamsHighContrastTheme : teamsLightTheme;
}

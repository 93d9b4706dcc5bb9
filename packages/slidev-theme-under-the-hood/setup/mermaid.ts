import { defineMermaidSetup } from '@slidev/types'
import { useDarkMode } from '@slidev/client'
import { isPrinting } from './main'

/**
 * Diagrams in the theme's colours. Mermaid draws inside a shadow root, out of reach of the slides' CSS,
 * so the palette goes in as theme variables: the dark set live, the light set in the printed handout.
 * (Mermaid reads this once per page; the handout is its own page load.)
 */
export default defineMermaidSetup(() => {
  const dark = useDarkMode().isDark.value && !isPrinting()
  const c = dark
    ? { bg: '#0f1014', panel: '#1d1f26', ink: '#f3f1ec', muted: '#b4b3bb', accent: '#ffb454' }
    : { bg: '#ffffff', panel: '#f2f2f4', ink: '#18181b', muted: '#55555d', accent: '#a8431b' }
  return {
    theme: 'base',
    fontFamily: '\'Inter Variable\', Inter, system-ui, sans-serif',
    themeVariables: {
      darkMode: dark,
      background: c.bg,
      fontSize: '16px',
      primaryColor: c.panel,
      primaryTextColor: c.ink,
      primaryBorderColor: c.accent,
      secondaryColor: c.panel,
      tertiaryColor: c.panel,
      mainBkg: c.panel,
      nodeBorder: c.accent,
      nodeTextColor: c.ink,
      textColor: c.ink,
      titleColor: c.ink,
      lineColor: c.muted,
      edgeLabelBackground: c.bg,
      clusterBkg: c.bg,
      clusterBorder: c.muted,
    },
  }
})

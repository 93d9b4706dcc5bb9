// Slidev's base layout styles (padding, heading scale) as every theme imports them, then ours.
import '@slidev/client/styles/layouts-base.css'
// The typeface (Inter, SIL Open Font Licence 1.1), served from this package: no web font is fetched.
import '@fontsource-variable/inter'
import './theme.css'

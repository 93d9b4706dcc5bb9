/**
 * Drawing the embedding projector: the 3D scene (three.js points, orbit controls, labels on a 2D overlay,
 * hover picking) and the printed figure (the same points from a fixed angle on a plain 2D canvas, so it
 * needs no WebGL). Framework-free: the view hands in its elements and calls `frame()` while it shows.
 */
import type { Item } from './engine'

export const GROUP_COLOURS = ['#e4572e', '#1b4fa0', '#2a9d8f', '#f2a900', '#8e44ad', '#d81b60', '#6d4c41', '#00897b', '#5c6bc0', '#7cb342', '#546e7a']

export interface Marks {
  /** Labels drawn bold (the query's neighbours, the hovered word). */
  strong: ReadonlySet<string>
  /** The typed word or phrase, placed in the same space, or null. */
  query: { point: number[], label: string } | null
}

/** Colour of each item by its group (the groups in order of first appearance). */
export function itemColours(items: readonly Item[]): string[] {
  const groups = [...new Set(items.map(i => i.group))]
  return items.map(it => GROUP_COLOURS[groups.indexOf(it.group) % GROUP_COLOURS.length]!)
}

type Three = typeof import('three')

export class ProjectorScene {
  private scene: import('three').Scene
  private points: number[][] = []
  private labels: string[] = []
  private colours: string[] = []
  private marks: Marks = { strong: new Set(), query: null }

  private constructor(
    private readonly three: Three,
    private readonly renderer: import('three').WebGLRenderer,
    private readonly camera: import('three').PerspectiveCamera,
    private readonly controls: import('three/examples/jsm/controls/OrbitControls.js').OrbitControls,
    private readonly overlay: HTMLCanvasElement,
    private readonly width: number,
    private readonly height: number,
  ) {
    this.scene = new three.Scene()
  }

  /** Loads three.js (only now: the deck's other slides never do) and puts its canvas in `host`. Throws without WebGL. */
  static async create(host: HTMLElement, overlay: HTMLCanvasElement, width: number, height: number,
    onCameraMoved?: (position: [number, number, number]) => void): Promise<ProjectorScene> {
    const three = await import('three')
    const { OrbitControls } = await import('three/examples/jsm/controls/OrbitControls.js')
    const renderer = new three.WebGLRenderer({ antialias: true, alpha: true })
    renderer.setSize(width, height)
    renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1))
    host.prepend(renderer.domElement)
    const camera = new three.PerspectiveCamera(45, width / height, 0.1, 50)
    camera.position.set(1.5, 1.1, 2.2)
    const controls = new OrbitControls(camera, renderer.domElement)
    controls.enableDamping = true
    controls.autoRotate = true
    controls.autoRotateSpeed = 0.6
    if (onCameraMoved)
      controls.addEventListener('end', () => onCameraMoved(camera.position.toArray() as [number, number, number]))
    return new ProjectorScene(three, renderer, camera, controls, overlay, width, height)
  }

  setPoints(points: number[][], items: readonly Item[]): void {
    const { three } = this
    this.points = points
    this.labels = items.map(i => i.text)
    this.colours = itemColours(items)
    this.scene = new three.Scene()
    const geo = new three.BufferGeometry()
    geo.setAttribute('position', new three.Float32BufferAttribute(points.flat(), 3))
    const col = new three.Color()
    geo.setAttribute('color', new three.Float32BufferAttribute(this.colours.flatMap(c => col.set(c).toArray()), 3))
    this.scene.add(new three.Points(geo, new three.PointsMaterial({ size: 0.07, vertexColors: true })))
    this.scene.add(new three.AxesHelper(1.1))
    this.render()
  }

  setMarks(marks: Marks): void {
    this.marks = marks
    this.render()
  }

  /** Moves the camera (where another window's presenter dragged it). */
  setCamera(position: readonly number[]): void {
    if (position.length === 3) this.camera.position.set(position[0]!, position[1]!, position[2]!)
    this.render()
  }

  /** One animation frame: auto-rotation and damping, then a redraw. */
  frame(): void {
    this.controls.update()
    this.render()
  }

  private screen(p: number[]): [number, number, number] {
    const v = new this.three.Vector3(p[0], p[1], p[2]).project(this.camera)
    return [(v.x + 1) / 2 * this.width, (1 - v.y) / 2 * this.height, v.z]
  }

  render(): void {
    this.renderer.render(this.scene, this.camera)
    const ctx = this.overlay.getContext('2d')
    if (!ctx) return
    ctx.clearRect(0, 0, this.width, this.height)
    this.points.forEach((p, i) => {
      const [x, y, z] = this.screen(p)
      if (z > 1) return
      const strong = this.marks.strong.has(this.labels[i]!)
      ctx.fillStyle = strong ? '#111' : this.colours[i]!
      ctx.globalAlpha = strong ? 1 : 0.75
      ctx.font = strong ? 'bold 12px system-ui, sans-serif' : '10px system-ui, sans-serif'
      ctx.fillText(this.labels[i]!, x + 4, y - 3)
    })
    ctx.globalAlpha = 1
    const q = this.marks.query
    if (q) {
      const [x, y] = this.screen(q.point)
      ctx.fillStyle = '#111'
      ctx.beginPath()
      ctx.arc(x, y, 6, 0, Math.PI * 2)
      ctx.fill()
      ctx.font = 'bold 13px system-ui, sans-serif'
      ctx.fillText(`“${q.label}”`, x + 8, y + 4)
    }
  }

  /** The label nearest to a point of the view (in pixels), within 12 px; '' when none. */
  pick(mx: number, my: number): string {
    let best = ''
    let bestD = 12
    this.points.forEach((p, i) => {
      const [x, y] = this.screen(p)
      const d = Math.hypot(x - mx, y - my)
      if (d < bestD) {
        bestD = d
        best = this.labels[i]!
      }
    })
    return best
  }

  dispose(): void {
    this.controls.dispose()
    this.renderer.dispose()
  }
}

/**
 * The printed figure: the 3D points seen from a fixed angle, drawn on a 2D canvas with their labels, at
 * twice the size for print; a PNG data URL.
 */
export function printedProjection(points: number[][], items: readonly Item[], marks: Marks, width: number, height: number): string {
  const c = document.createElement('canvas')
  c.width = width * 2
  c.height = height * 2
  const ctx = c.getContext('2d')!
  ctx.scale(2, 2)
  ctx.fillStyle = '#fcfcfc'
  ctx.fillRect(0, 0, width, height)
  const a = 0.6
  const b = 0.35
  const view = (p: number[]): [number, number] => {
    const x = p[0]! * Math.cos(a) - p[2]! * Math.sin(a)
    const z = p[0]! * Math.sin(a) + p[2]! * Math.cos(a)
    const y = p[1]! * Math.cos(b) - z * Math.sin(b)
    return [width / 2 + x * width * 0.4, height / 2 - y * height * 0.42]
  }
  const colours = itemColours(items)
  points.forEach((p, i) => {
    const it = items[i]!
    const [x, y] = view(p)
    ctx.fillStyle = colours[i]!
    ctx.beginPath()
    ctx.arc(x, y, 2.5, 0, Math.PI * 2)
    ctx.fill()
    const strong = marks.strong.has(it.text)
    ctx.font = strong ? 'bold 11px system-ui, sans-serif' : '9px system-ui, sans-serif'
    if (strong) ctx.fillStyle = '#111'
    ctx.fillText(it.text, x + 3, y - 2)
  })
  if (marks.query) {
    const [x, y] = view(marks.query.point)
    ctx.fillStyle = '#111'
    ctx.beginPath()
    ctx.arc(x, y, 5, 0, Math.PI * 2)
    ctx.fill()
    ctx.font = 'bold 12px system-ui, sans-serif'
    ctx.fillText(`“${marks.query.label}”`, x + 7, y + 4)
  }
  return c.toDataURL('image/png')
}

declare module 'virtual:machine-layout' {
  const layout: import('./diagramLayout.js').DiagramLayout
  export default layout
}

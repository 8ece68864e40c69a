<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0-Firenze" styleCategories="Symbology|Labeling" labelsEnabled="1">
 <renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">
  <symbols>
   <symbol type="marker" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="216,27,96,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="star" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="0,0,0,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.3" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="6" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="216,27,96,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="star" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="0,0,0,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.3" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="6" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName="rank" isExpression="0" fontSize="9" fontSizeUnit="Point" textColor="50,50,50,255" textOpacity="1" fontWeight="75" fontItalic="0" fontUnderline="0" fontStrikeout="0" fontLetterSpacing="0" fontWordSpacing="0" fontKerning="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" textOrientation="horizontal" useSubstitutions="0" namedStyle="Bold" previewBkgrdColor="255,255,255,255">
    <families />
    <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="1" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0" />
    <substitutions />
   </text-style>
   <text-format wrapChar="" autoWrapLength="0" multilineAlign="3" addDirectionSymbol="0" formatNumbers="0" decimals="3" plussign="0" />
   <placement placement="6" dist="1" distUnits="MM" offsetType="0" priority="5" quadOffset="4" centroidInside="1" centroidWhole="0" fitInPolygonOnly="0" overrunDistance="0" overrunDistanceUnit="MM" />
   <rendering drawLabels="1" obstacle="1" obstacleFactor="1" obstacleType="1" scaleVisibility="0" fontLimitPixelSize="0" upsidedownLabels="0" labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" minFeatureSize="0" displayAll="0" zIndex="0" unplacedVisibility="0" />
  </settings>
 </labeling>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerGeometryType>0</layerGeometryType>
</qgis>

<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0-Firenze" styleCategories="Symbology|Labeling" labelsEnabled="0">
 <renderer-v2 type="categorizedSymbol" attr="service" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">
  <categories>
   <category render="true" symbol="0" value="culture" label="文化设施 / Culture" type="string" />
   <category render="true" symbol="1" value="elderly_care" label="养老机构 / Elderly care" type="string" />
   <category render="true" symbol="2" value="park" label="公园绿地 / Parks" type="string" />
   <category render="true" symbol="3" value="preschool" label="幼儿园/托育 / Preschool and childcare" type="string" />
   <category render="true" symbol="4" value="public_health" label="公共卫生 / Public health" type="string" />
   <category render="true" symbol="5" value="sports_fitness" label="体育健身 / Sports and fitness" type="string" />
  </categories>
  <symbols>
   <symbol type="marker" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="53,151,143,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="53,151,143,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
   <symbol type="marker" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="118,42,131,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="118,42,131,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
   <symbol type="marker" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="27,120,55,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="27,120,55,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
   <symbol type="marker" name="3" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="231,41,138,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="231,41,138,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
   <symbol type="marker" name="4" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="33,102,172,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="33,102,172,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
   <symbol type="marker" name="5" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="230,97,1,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="230,97,1,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
  </symbols>
  <source-symbol>
   <symbol type="marker" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="angle" value="0" />
      <Option type="QString" name="cap_style" value="square" />
      <Option type="QString" name="color" value="127,127,127,255" />
      <Option type="QString" name="horizontal_anchor_point" value="1" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="name" value="circle" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="scale_method" value="diameter" />
      <Option type="QString" name="size" value="3.2" />
      <Option type="QString" name="size_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="size_unit" value="MM" />
      <Option type="QString" name="vertical_anchor_point" value="1" />
     </Option>
     <prop k="angle" v="0" />
     <prop k="cap_style" v="square" />
     <prop k="color" v="127,127,127,255" />
     <prop k="horizontal_anchor_point" v="1" />
     <prop k="joinstyle" v="bevel" />
     <prop k="name" v="circle" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="scale_method" v="diameter" />
     <prop k="size" v="3.2" />
     <prop k="size_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="size_unit" v="MM" />
     <prop k="vertical_anchor_point" v="1" />
    </layer>
   </symbol>
  </source-symbol>
 </renderer-v2>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerGeometryType>0</layerGeometryType>
</qgis>
